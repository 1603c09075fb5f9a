/**
 * Admin lock-out cannot be used as a weapon, and a failed login tells nothing: an unknown user, a
 * wrong password and a locked account answer alike — status, code, body, headers and time.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startHarness, TEST_SCRYPT_COST, type ApiResponse, type Harness } from '../support/harness.js';
import { hashPassword, verifyPassword } from '../../src/admin/passwords.js';

/** N=2^15: a scrypt of about 100 ms, large beside the noise of database round trips on a loaded machine */
const SCRYPT_COST = 15;

let h: Harness;
/** The suite's harness, its admin passwords hashed at 2^cost. */
function harnessAt(cost: number | string) {
  beforeAll(async () => {
    // the test client stands behind a loopback proxy that names each simulated client
    h = await startHarness({ env: { TRUST_PROXY: 'loopback', ADMIN_PASSWORD_SCRYPT_COST: String(cost) } });
  }, 60_000);
  afterAll(() => h?.close());
}

let clients = 0;
/** a client address never used before in this file */
const newClient = () => {
  clients++;
  return `10.${20 + (clients >> 16)}.${(clients >> 8) & 255}.${clients & 255}`;
};
const login = (body: { username: string; password: string }, client: string) =>
  h.anonymous.post('/api/admin/login', body, { 'x-forwarded-for': client });
const wrong = () => ({ username: ADMIN.username, password: `wrong-${randomUUID()}` });

/** five wrong passwords for `username` from `client`: the lock of that pair */
async function lockPair(username: string, client: string) {
  for (let i = 0; i < 5; i++)
    expect((await login({ username, password: `x-${randomUUID()}` }, client)).status).toBe(401);
}

const visible = (r: ApiResponse) => ({
  status: r.status,
  body: r.body,
  retryAfter: r.headers.get('retry-after'),
});

describe('admin lock-out', { timeout: 120_000 }, () => {
  // what is locked and what is told, not how long it takes: the harness's usual cheap scrypt
  harnessAt(TEST_SCRYPT_COST);

  it("given a stranger's wrong passwords on the admin's name (any spelling) from other clients, the admin still logs in from their own", async () => {
    for (let i = 0; i < 4; i++) {
      const stranger = newClient();
      await lockPair(ADMIN.username, stranger);
      await lockPair(ADMIN.username.toUpperCase(), stranger);
    }
    expect((await login(ADMIN, newClient())).status).toBe(200);
  });

  it('given five failures from one client, that client is refused even the right password, and learns nothing of a lock', async () => {
    const client = newClient();
    const unknownBefore = await login({ username: `ghost-${randomUUID()}`, password: 'whatever-123' }, client);
    await lockPair(ADMIN.username, client);
    const locked = await login(ADMIN, client);
    const unknown = await login({ username: `ghost-${randomUUID()}`, password: 'whatever-123' }, newClient());
    const wrongPassword = await login(wrong(), newClient());
    // one answer for all: same status, code and body, no Retry-After, no expiry anywhere
    expect(visible(locked)).toEqual(visible(unknown));
    expect(visible(locked)).toEqual(visible(wrongPassword));
    expect(visible(locked)).toEqual(visible(unknownBefore));
    expect(locked.status).toBe(401);
    expect(locked.body.error.code).toBe('INVALID_CREDENTIALS');
    expect(JSON.stringify(locked.body)).not.toMatch(/\d{4}-\d\d-\d\d|minute|until|lock/i);
    // the lock is that client's alone
    expect((await login(ADMIN, newClient())).status).toBe(200);
  });

  it('rate-limits attempts per client with 429 RATE_LIMITED and Retry-After, leaving other clients alone', async () => {
    const client = newClient();
    const statuses: number[] = [];
    let last: ApiResponse | undefined;
    for (let i = 0; i < 11; i++) {
      last = await login({ username: `ghost${i}`, password: 'whatever-123' }, client);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    expect(last!.body.error.code).toBe('RATE_LIMITED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(last!.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await login(ADMIN, newClient())).status).toBe(200);
  });
});

describe('admin login timing', { timeout: 120_000 }, () => {
  harnessAt(SCRYPT_COST);

  it(
    'answers an unknown user, a wrong password and a locked account in the same time (one scrypt each)',
    { timeout: 240_000 },
    async () => {
      // a multiple of 4: four places in a round, four rounds per locked client
      const ROUNDS = 12;
      // locked pairs set up first; a client may try 10 times a minute, so each serves 4 rounds
      const lockedClients: string[] = [];
      for (let i = 0; i < ROUNDS / 4; i++) {
        const client = newClient();
        await lockPair(ADMIN.username, client);
        lockedClients.push(client);
      }
      const stored = await hashPassword('calibration', SCRYPT_COST);
      const timed = async (work: () => Promise<unknown>) => {
        const t0 = performance.now();
        await work();
        return performance.now() - t0;
      };
      const refused = (body: { username: string; password: string }, client: string) => async () =>
        expect((await login(body, client)).status).toBe(401);
      // each round times the three cases and one scrypt back to back, so that the machine's load
      // (other suites, other processes) weighs on them alike; the rounds are compared in pairs
      const rounds: { unknown: number; wrong: number; locked: number; scrypt: number }[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const cases = [
          ['unknown', refused({ username: `ghost-${randomUUID()}`, password: 'whatever-123' }, newClient())],
          ['wrong', refused(wrong(), newClient())],
          ['locked', refused(ADMIN, lockedClients[i >> 2]!)],
          ['scrypt', () => verifyPassword('calibration', stored)],
        ] as const;
        // each case takes each place in the round in turn: no case always runs first or last
        const round = { unknown: 0, wrong: 0, locked: 0, scrypt: 0 };
        for (let k = 0; k < cases.length; k++) {
          const [kind, work] = cases[(i + k) % cases.length]!;
          round[kind] = await timed(work);
        }
        rounds.push(round);
      }
      const median = (xs: number[]) => {
        const sorted = [...xs].sort((a, b) => a - b);
        return (sorted[(xs.length - 1) >> 1]! + sorted[xs.length >> 1]!) / 2;
      };
      const of = (f: (r: (typeof rounds)[number]) => number) => median(rounds.map(f));
      const cost = of((r) => r.scrypt);
      const gaps = {
        'wrong − unknown': of((r) => r.wrong - r.unknown),
        'locked − wrong': of((r) => r.locked - r.wrong),
        'locked − unknown': of((r) => r.locked - r.unknown),
      };
      console.log(
        `admin login medians: unknown ${of((r) => r.unknown).toFixed(1)} ms, wrong password ${of((r) => r.wrong).toFixed(1)} ms, ` +
          `locked ${of((r) => r.locked).toFixed(1)} ms; one scrypt ${cost.toFixed(1)} ms; paired gaps ` +
          Object.entries(gaps)
            .map(([k, v]) => `${k} ${v.toFixed(1)} ms`)
            .join(', '),
      );
      // each answer includes one scrypt's work…
      for (const kind of ['unknown', 'wrong', 'locked'] as const)
        expect(of((r) => r[kind])).toBeGreaterThan(cost * 0.5);
      // …and they differ by far less than one: a timing cannot tell which case it was
      for (const gap of Object.values(gaps)) expect(Math.abs(gap)).toBeLessThan(cost * 0.5);
    },
  );
});

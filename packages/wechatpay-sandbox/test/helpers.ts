import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildAuthorization,
  buildResponseSignString,
  createSandbox,
  verifySha256Rsa,
  type Sandbox,
} from '../src/index.js';
import type { KeyMode } from '../src/keys.js';
import { inject } from 'vitest';

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
  /** Whether Wechatpay-Signature verifies with the WeChat Pay public key. */
  signatureValid: boolean;
}

/** A minimal merchant client: signs each request as the APIv3 rules say and checks the answer's signature. */
export function merchantClient(sandbox: Sandbox) {
  const c = sandbox.credentials;
  return async function call<T = Record<string, unknown>>(
    method: string,
    pathAndQuery: string,
    body?: unknown,
    opts: {
      authorization?: string | null;
      timestamp?: number;
      signBody?: string;
      serialNo?: string;
      mchid?: string;
    } = {},
  ): Promise<ApiResult<T>> {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'uni-checkout-test' };
    if (text !== '') headers['Content-Type'] = 'application/json';
    const auth =
      opts.authorization !== undefined
        ? opts.authorization
        : buildAuthorization({
            mchid: opts.mchid ?? c.mchid,
            serialNo: opts.serialNo ?? c.merchantSerialNo,
            privateKey: c.merchantPrivateKeyPem,
            method,
            pathAndQuery,
            body: opts.signBody ?? text,
            ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
          });
    if (auth !== null) headers.Authorization = auth;
    const res = await fetch(`${sandbox.url}${pathAndQuery}`, {
      method,
      headers,
      ...(text !== '' ? { body: text } : {}),
    });
    const resText = await res.text();
    const ts = res.headers.get('wechatpay-timestamp') ?? '';
    const nonce = res.headers.get('wechatpay-nonce') ?? '';
    const sig = res.headers.get('wechatpay-signature') ?? '';
    const signatureValid =
      res.headers.get('wechatpay-serial') === c.wechatpayPublicKeyId &&
      verifySha256Rsa(buildResponseSignString(ts, nonce, resText), sig, c.wechatpayPublicKeyPem);
    return {
      status: res.status,
      headers: res.headers,
      text: resText,
      body: (resText ? JSON.parse(resText) : {}) as T,
      signatureValid,
    };
  };
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A merchant notify endpoint on loopback whose answers a test scripts. */
export async function notifyReceiver(answer: (r: Received, index: number) => number | Promise<number> = () => 204) {
  const received: Received[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const index = received.push(r) - 1;
      for (const w of waiters.filter((w) => received.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      void Promise.resolve(answer(r, index)).then((status) => {
        if (status === 0) return; // never answer: the sender's timeout fires
        res.statusCode = status;
        res.end(status >= 300 ? JSON.stringify({ code: 'FAIL', message: 'fail' }) : '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/pay/notify/transaction`,
    received,
    /** Resolves once n requests have arrived. */
    waitFor(n: number): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let seq = 0;
/** A valid, unique out_trade_no. */
export function orderNo(prefix = 'T'): string {
  seq += 1;
  return `${prefix}${Date.now()}${String(seq).padStart(4, '0')}`;
}

export function jsapiBody(sandbox: Sandbox, overrides: Record<string, unknown> = {}) {
  return {
    appid: sandbox.credentials.appid,
    mchid: sandbox.credentials.mchid,
    description: '测试商品-T恤 x1',
    out_trade_no: orderNo(),
    notify_url: 'https://merchant.example.com/api/pay/notify/transaction',
    amount: { total: 1230, currency: 'CNY' },
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    ...overrides,
  };
}

let stateDirs: { parent: string; copies: number; templates: Map<KeyMode, Promise<string>> } | undefined;

/** The run's public-key identity, made once by global-setup.ts (none outside a vitest worker). */
function runTemplate(): string | undefined {
  try {
    return inject('sandboxIdentityTemplate');
  } catch {
    return undefined;
  }
}

/**
 * A new state dir holding a copy of one sandbox identity and key mode's keys and certificates
 * (RSA keys and X.509 certificates, made once per run for the public-key mode, once per process
 * for the others): for sandboxes whose tests are not about making them, which would otherwise
 * each generate their own.
 */
export async function sandboxStateDir(keyMode: KeyMode = 'public-key'): Promise<string> {
  if (!stateDirs) {
    const parent = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
    process.once('exit', () => rmSync(parent, { recursive: true, force: true }));
    stateDirs = { parent, copies: 0, templates: new Map() };
  }
  const { parent, templates } = stateDirs;
  let template = templates.get(keyMode);
  if (!template) {
    const shared = keyMode === 'public-key' ? runTemplate() : undefined;
    template = shared
      ? Promise.resolve(shared)
      : (async () => {
          const dir = join(parent, `template-${keyMode}`);
          await (await createSandbox({ port: 0, stateDir: dir, keyMode })).close();
          return dir;
        })();
    templates.set(keyMode, template);
  }
  const dir = join(parent, `state-${++stateDirs.copies}`);
  cpSync(await template, dir, { recursive: true });
  return dir;
}

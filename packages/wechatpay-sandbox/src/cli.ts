#!/usr/bin/env -S npx tsx
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { forceExitAfter, tolerateBrokenStdio } from '@uni-checkout/shared/process';
import { KEY_MODES, type KeyMode } from './key-modes.js';
import type { Sandbox } from './sandbox.js';

/** The workspace root is the nearest directory holding pnpm-workspace.yaml. */
function workspaceRoot(from: string): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

/** How long a signalled sandbox may take to close before it is ended anyway. */
const FORCED_EXIT_MS = 10_000;

// A supervisor or `pnpm dev` that stopped reading (or exited) must not keep the sandbox alive.
tolerateBrokenStdio();

function fail(message: string): never {
  console.error(`wechatpay-sandbox: ${message}`);
  process.exit(1);
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 9800;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`SANDBOX_PORT must be a port number (0–65535), got "${raw}"`);
  return n;
}

function parseScale(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    fail(
      `SANDBOX_TIME_SCALE must be a positive number (e.g. 0.01 to run the retry schedule 100x faster), got "${raw}"`,
    );
  return n;
}

function parseKeyMode(raw: string | undefined): KeyMode {
  if (raw === undefined || raw === '') return 'public-key';
  if (!(KEY_MODES as readonly string[]).includes(raw))
    fail(`SANDBOX_KEY_MODE must be one of ${KEY_MODES.join(', ')}, got "${raw}"`);
  return raw as KeyMode;
}

function parseSwitchDays(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) fail(`SANDBOX_SWITCH_DAYS must be a number of days ≥ 0, got "${raw}"`);
  return n;
}

function parseDays(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    fail(`SANDBOX_AUTO_CONFIRM_DAYS must be a positive number of days (before the time scale), got "${raw}"`);
  return n;
}

/** Comma-separated http(s) origins; loopback ones need no mention. */
function parseOrigins(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((entry) => {
    const text = entry.trim();
    try {
      const u = new URL(text);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && u.origin === text.replace(/\/$/, '')) return u.origin;
    } catch {
      // reported below
    }
    return fail(
      `SANDBOX_H5_ORIGIN must list http(s) origins such as https://shop.test:5173 (comma-separated), got "${text}"`,
    );
  });
}

const port = parsePort(process.env.SANDBOX_PORT);
const keyMode = parseKeyMode(process.env.SANDBOX_KEY_MODE);
const switchDays = parseSwitchDays(process.env.SANDBOX_SWITCH_DAYS);
const refundNotifyUrl = process.env.SANDBOX_REFUND_NOTIFY_URL || undefined;
const timeScale = parseScale(process.env.SANDBOX_TIME_SCALE);
const stateDir = resolve(process.env.SANDBOX_STATE_DIR || join(workspaceRoot(process.cwd()), '.data', 'sandbox'));
const host = process.env.SANDBOX_HOST || '127.0.0.1';
const autoConfirmDays = parseDays(process.env.SANDBOX_AUTO_CONFIRM_DAYS);
const h5Origins = parseOrigins(process.env.SANDBOX_H5_ORIGIN);

// Handlers go in before anything is printed, so a signal right after start-up is never missed.
const running: { sandbox?: Sandbox } = {};
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    // armed before anything is written, so even a write that never returns cannot keep the process
    forceExitAfter(FORCED_EXIT_MS, 1);
    console.log(`wechatpay-sandbox: ${signal}, stopping`);
    if (!running.sandbox) process.exit(0);
    running.sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

// The sandbox (Express, the signing and certificate code) loads once the settings are known to be
// good: a bad setting is reported without waiting for it.
const { createSandbox } = await import('./sandbox.js');
const { CREDENTIALS_FILE } = await import('./credentials.js');

const sandbox = await createSandbox({
  port,
  host,
  stateDir,
  timeScale,
  keyMode,
  ...(switchDays !== undefined ? { switchDays } : {}),
  ...(refundNotifyUrl ? { refundNotifyUrl } : {}),
  ...(autoConfirmDays ? { autoConfirmDays } : {}),
  h5Origins,
}).catch((err: NodeJS.ErrnoException) => {
  if (err.code === 'EADDRINUSE') fail(`port ${port} is already in use; set SANDBOX_PORT to another port`);
  fail(err.message);
});
running.sandbox = sandbox;

console.log(`  credentials: ${join(stateDir, CREDENTIALS_FILE)}`);
console.log(`  mchid ${sandbox.credentials.mchid}, appid ${sandbox.credentials.appid}, time scale ${timeScale}`);
const certs = sandbox.keys.certificates().map((c) => c.serialNo);
console.log(
  `  key mode:    ${keyMode}${keyMode === 'public-key' ? ` (${sandbox.credentials.wechatpayPublicKeyId})` : ` (platform certificates ${certs.join(', ')}${keyMode === 'switching' ? ` and ${sandbox.credentials.wechatpayPublicKeyId}` : ''})`}`,
);
console.log(`  dashboard:   ${sandbox.url}/sandbox/`);
// Printed last: tools wait for this line to know the sandbox is ready.
console.log(`WeChat Pay sandbox listening on ${sandbox.url}`);

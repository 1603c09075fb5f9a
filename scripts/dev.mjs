#!/usr/bin/env node
// `pnpm dev`: the whole product on the embedded default — PGlite, the WeChat Pay sandbox, the seeded
// catalog, the BFF, the h5 dev server and the mp-weixin build for WeChat DevTools. Ctrl-C stops all.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PORT = process.env.PORT ?? '3000';
const SANDBOX_PORT = process.env.SANDBOX_PORT ?? '9800';
const H5_PORT = process.env.H5_PORT ?? '5173';
const skipMp = process.argv.includes('--no-mp-weixin');
const children = [];
/** How long the children get to stop after SIGTERM before their process groups are killed. */
const STOP_GRACE_MS = 5_000;

// A terminal or log reader that has gone must not stop the relaying (nor crash this script while
// children still run): what cannot be written is dropped.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

const env = { ...process.env, PORT, SANDBOX_PORT, H5_PORT };
delete env.DATABASE_URL; // the embedded default: PGlite in .data/pglite

// A development admin, generated once and kept in .data (never printed, never committed).
const adminFile = path.join(root, '.data', 'dev-admin.json');
if (!env.ADMIN_USERNAME) {
  if (!existsSync(adminFile)) {
    mkdirSync(path.dirname(adminFile), { recursive: true });
    const fresh = { username: 'admin', password: randomBytes(12).toString('base64url') };
    writeFileSync(adminFile, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o600 });
  }
  const { username, password } = JSON.parse(readFileSync(adminFile, 'utf8'));
  env.ADMIN_USERNAME = username;
  env.ADMIN_PASSWORD = password;
}

function run(name, args, extraEnv = {}) {
  // each child leads its own process group (pnpm → sh → node/vite), so stopping reaches them all
  const child = spawn('pnpm', args, {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = `[${name}] `;
  const relay = (stream, out) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) out.write(prefix + line + '\n');
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  children.push(child);
  return child;
}

function once(name, args, extraEnv) {
  return new Promise((resolve, reject) => {
    run(name, args, extraEnv).on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`)),
    );
  });
}

async function waitFor(url, label, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${label} did not come up at ${url} within ${timeoutMs / 1000}s`);
}

/** Signals a child's whole process group; false once nothing of the group is left. */
function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

let stopping = false;
function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) signalGroup(c, 'SIGTERM');
  const started = Date.now();
  const poll = setInterval(() => {
    const left = children.filter((c) => signalGroup(c, 0));
    if (left.length && Date.now() - started < STOP_GRACE_MS) return;
    for (const c of left) signalGroup(c, 'SIGKILL');
    clearInterval(poll);
    process.exit(code);
  }, 100);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stopAll(0));
// `pnpm dev` does not pass a SIGTERM on to this script: when the process that launched it goes
// away (this script is re-parented), everything stops as if signalled
const launcher = process.ppid;
setInterval(() => {
  if (process.ppid !== launcher) stopAll(0);
}, 500).unref();
// however this script ends, its children do not outlive it
process.on('exit', () => {
  for (const c of children) signalGroup(c, 'SIGKILL');
});

try {
  await once('db', ['--filter', '@uni-checkout/bff', 'db:migrate']);
  await once('seed', ['--filter', '@uni-checkout/bff', 'db:seed']);
  run('sandbox', ['sandbox']);
  await waitFor(`http://127.0.0.1:${SANDBOX_PORT}/sandbox/api/transactions`, 'the WeChat Pay sandbox');
  run('bff', ['--filter', '@uni-checkout/bff', 'start'], {
    CORS_ORIGINS: `http://127.0.0.1:${H5_PORT},http://localhost:${H5_PORT}`,
  });
  await waitFor(`http://127.0.0.1:${PORT}/readyz`, 'the BFF');
  const apiBase = `http://127.0.0.1:${PORT}`;
  run('h5', ['--filter', '@uni-checkout/miniapp', 'dev:h5'], {
    VITE_API_BASE: apiBase,
    VITE_SANDBOX_URL: `http://127.0.0.1:${SANDBOX_PORT}`,
  });
  if (!skipMp) run('mp-weixin', ['--filter', '@uni-checkout/miniapp', 'dev:mp-weixin'], { VITE_API_BASE: apiBase });
  await waitFor(`http://127.0.0.1:${H5_PORT}/`, 'the h5 dev server', 120_000);
  console.log(`
uni-checkout is running (embedded PGlite + WeChat Pay sandbox, no accounts needed):
  shop (h5)          http://127.0.0.1:${H5_PORT}/
  admin (h5)         http://127.0.0.1:${H5_PORT}/#/pages-admin/login/index   (credentials: ${process.env.ADMIN_USERNAME ? 'your ADMIN_USERNAME/ADMIN_PASSWORD' : '.data/dev-admin.json'})
  BFF API            ${apiBase}   (GET /readyz, /api/products)
  sandbox dashboard  http://127.0.0.1:${SANDBOX_PORT}/sandbox/
  WeChat DevTools    import ${path.join(root, 'apps/miniapp/dist/dev/mp-weixin')}${skipMp ? ' (skipped: --no-mp-weixin)' : ''}
                     (测试号, 详情 → 本地设置 → 不校验合法域名; sandbox login and pay sheet: apps/miniapp/README.md)
Ctrl-C stops everything.`);
} catch (err) {
  console.error(`pnpm dev: ${err.message}`);
  stopAll(1);
}

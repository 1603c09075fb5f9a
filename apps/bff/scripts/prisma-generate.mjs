#!/usr/bin/env node
// Generates the Prisma client (the `prisma-client` generator, TypeScript) into src/db/generated.
//
// Runs as the workspace `postinstall`, so it must work on a clean clone that reaches only the npm
// registry. The Prisma CLI resolves a native schema engine on start and tries to download one from
// Prisma's binary host when it is missing; generation itself is pure wasm and never runs that
// engine, so pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file keeps the CLI offline.
//
// Quiet on success (nothing printed); on failure the CLI's own output is printed and the exit code
// is non-zero. Skips the work when the schema and the Prisma version are unchanged since the last
// run (pass --force to regenerate anyway, --verbose to see the CLI's output).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const bffDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = resolve(bffDir, '../../prisma/schema.prisma');
const outputDir = join(bffDir, 'src/db/generated');
const stampPath = join(outputDir, '.generated-from');
const args = new Set(process.argv.slice(2));
const verbose = args.has('--verbose');

function fail(message, output) {
  if (output) process.stderr.write(output.endsWith('\n') ? output : `${output}\n`);
  process.stderr.write(`db:generate failed: ${message}\n`);
  process.exit(1);
}

const require = createRequire(join(bffDir, 'package.json'));
let prismaCli;
let prismaVersion;
try {
  const pkgPath = require.resolve('prisma/package.json');
  prismaVersion = JSON.parse(readFileSync(pkgPath, 'utf8')).version;
  prismaCli = join(dirname(pkgPath), 'build/index.js');
} catch {
  fail('the `prisma` package is not installed in apps/bff; run `pnpm install` first.');
}
if (!existsSync(schemaPath)) fail(`no Prisma schema at ${schemaPath}.`);

const schema = readFileSync(schemaPath);
const stamp = createHash('sha256')
  .update(`prisma@${prismaVersion}\n`)
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .update(schema)
  .digest('hex');
if (!args.has('--force') && existsSync(join(outputDir, 'client.ts')) && existsSync(stampPath)) {
  if (readFileSync(stampPath, 'utf8').trim() === stamp) process.exit(0);
}

const env = {
  ...process.env,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  // Any existing file will do: `prisma generate` checks that it exists but never executes it.
  // This script is not executable, so anything that did try to run it would fail loudly.
  env.PRISMA_SCHEMA_ENGINE_BINARY = fileURLToPath(import.meta.url);
}

const result = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schemaPath], {
  cwd: bffDir,
  env,
  encoding: 'utf8',
  timeout: 120_000,
});
const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
if (result.error) fail(`could not run the Prisma CLI (${result.error.message}).`, output);
if (result.status !== 0) fail(`\`prisma generate\` exited with code ${result.status}.`, output);
if (!existsSync(join(outputDir, 'client.ts'))) {
  fail(`\`prisma generate\` reported success but ${join(outputDir, 'client.ts')} is missing.`, output);
}
writeFileSync(stampPath, `${stamp}\n`);
if (verbose) process.stdout.write(output);

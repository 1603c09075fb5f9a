/**
 * Once per test run of the bff project: two template databases on the test PostgreSQL — migrated,
 * and migrated + seeded — that createTestDb copies with `CREATE DATABASE … TEMPLATE …` instead of
 * migrating a fresh database per file, and a WeChat Pay sandbox identity (its RSA keys) that each
 * harness's sandbox starts from instead of generating its own (also with a platform certificate
 * and its CA issued, for the certificate key modes), and a directory where the first
 * worker that opens a PGlite database leaves its initialised and migrated dumps for the others
 * (test/support/db.ts), and the compiled BFF (scripts/build.mjs, what `start` runs) for the tests
 * that start it as its own process (test/support/bff-process.ts). All are dropped at the end.
 *
 * Provided to the whole run, not only to the bff project: the cross-app tests (test/) start their
 * BFFs and sandboxes with this project's test support (sandbox-bff.ts) and copy the same templates
 * and identity when the run has them. A run without any bff test file makes none of them.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createSandbox } from '@uni-checkout/wechatpay-sandbox';
import { migrateDb, openDb, seedCatalog } from '../../src/db/index.js';
import { createRunDatabase, testDatabaseName, withAdmin, type TemplateDatabases } from './db.js';
import { buildBff, privateOutfile, removeBuild } from '../../scripts/build.mjs';

async function templateDatabase(seed: boolean): Promise<string> {
  const name = testDatabaseName();
  const databaseUrl = await createRunDatabase(name);
  // closed again before any copy: PostgreSQL copies only a template nobody is connected to
  const db = await openDb({ databaseUrl });
  try {
    await migrateDb(db);
    if (seed) await seedCatalog(db.prisma);
  } finally {
    await db.close();
  }
  return name;
}

export default async function setup(project: TestProject) {
  const [migrated, seeded, bffMain] = await Promise.all([
    templateDatabase(false),
    templateDatabase(true),
    buildBff(privateOutfile('test')),
  ]);
  const templates: TemplateDatabases = { migrated, seeded };
  project.vitest.provide('bffTemplateDatabases', templates);
  project.vitest.provide('bffMain', bffMain);

  const sandboxState = mkdtempSync(path.join(tmpdir(), 'uc-sandbox-identity-'));
  const sandbox = await createSandbox({ port: 0, stateDir: sandboxState });
  await sandbox.close();
  project.vitest.provide('sandboxStateTemplate', sandboxState);
  // the same identity with a platform certificate and its CA issued (the certificate modes)
  const certificateState = mkdtempSync(path.join(tmpdir(), 'uc-sandbox-certificates-'));
  cpSync(sandboxState, certificateState, { recursive: true });
  const issuing = await createSandbox({ port: 0, stateDir: certificateState, keyMode: 'platform-cert' });
  await issuing.close();
  project.vitest.provide('sandboxCertificateStateTemplate', certificateState);

  const pgliteDumps = mkdtempSync(path.join(tmpdir(), 'uc-pglite-dumps-'));
  project.vitest.provide('pgliteDumpDir', pgliteDumps);

  return async () => {
    removeBuild(bffMain);
    rmSync(sandboxState, { recursive: true, force: true });
    rmSync(certificateState, { recursive: true, force: true });
    rmSync(pgliteDumps, { recursive: true, force: true });
    await withAdmin(async (client) => {
      for (const name of [migrated, seeded]) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  };
}

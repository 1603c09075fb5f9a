// pnpm db:migrate                  apply pending migrations to DATABASE_URL (unset: the embedded PGlite)
// pnpm db:migrate status           list applied / pending migrations
// pnpm db:migrate diff             print the SQL schema.prisma needs beyond the migrations (drift)
// pnpm db:migrate:create <name>    write prisma/migrations/<timestamp>_<name>/migration.sql
import './cli-v8.js';

import { relative } from 'node:path';

import { dbOptionsFromEnv, exitWithError } from './cli-env.js';
import { openDb, redactDatabaseUrl } from './connection.js';
import { DbError } from './errors.js';
import { checkSchemaDrift, createMigration, migrate, migrationStatus } from './migrate.js';
import { defaultPgliteDir, workspaceRoot } from './paths.js';

const USAGE = 'usage: db:migrate [deploy | status | diff | create <name>]';

function describeTarget(opts: ReturnType<typeof dbOptionsFromEnv>): string {
  if (opts.databaseUrl) return redactDatabaseUrl(opts.databaseUrl);
  const dir = opts.pgliteDir ?? defaultPgliteDir;
  const inWorkspace = relative(workspaceRoot, dir);
  return `PGlite in ${inWorkspace.startsWith('..') ? dir : inWorkspace}`;
}

async function main(args: string[]): Promise<void> {
  const [command = 'deploy', ...rest] = args;
  const opts = dbOptionsFromEnv();
  switch (command) {
    case 'deploy': {
      if (rest.length > 0) throw new DbError('DB_MIGRATIONS_INVALID', USAGE);
      const { applied } = await migrate(opts);
      if (applied.length === 0) {
        console.log(`${describeTarget(opts)}: already up to date.`);
      } else {
        console.log(`${describeTarget(opts)}: applied ${applied.length} migration(s):`);
        for (const name of applied) console.log(`  ${name}`);
      }
      return;
    }
    case 'status': {
      const db = await openDb(opts);
      try {
        const { pending, failed } = await migrationStatus(db);
        console.log(`${describeTarget(opts)}: ${pending.length} pending, ${failed.length} failed.`);
        for (const name of pending) console.log(`  pending  ${name}`);
        for (const name of failed) console.log(`  failed   ${name}`);
        if (pending.length > 0 || failed.length > 0) process.exitCode = 1;
      } finally {
        await db.close();
      }
      return;
    }
    case 'diff': {
      const sql = await checkSchemaDrift();
      if (sql === '') {
        console.log('schema.prisma and prisma/migrations agree.');
      } else {
        console.log(sql);
        process.exitCode = 2;
      }
      return;
    }
    case 'create': {
      const [name] = rest;
      if (name === undefined || rest.length > 1) {
        throw new DbError('DB_MIGRATION_NAME_INVALID', 'usage: pnpm db:migrate:create <name>, e.g. add_refund_reason');
      }
      const created = await createMigration(name);
      console.log(`Created ${relative(workspaceRoot, created.path)}; review it, then apply with \`pnpm db:migrate\`.`);
      return;
    }
    default:
      throw new DbError('DB_MIGRATIONS_INVALID', `unknown command "${command}". ${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => exitWithError('db:migrate', error));

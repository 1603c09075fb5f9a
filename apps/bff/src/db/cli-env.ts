import { resolve } from 'node:path';

import type { DbOptions } from './connection.js';
import { DbError } from './errors.js';

/** The database the BFF would use with this environment (DATABASE_URL, PGLITE_DIR, DATA_DIR). */
export function dbOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DbOptions {
  const pgliteDir = env.PGLITE_DIR
    ? resolve(env.PGLITE_DIR)
    : env.DATA_DIR
      ? resolve(env.DATA_DIR, 'pglite')
      : undefined;
  return { databaseUrl: env.DATABASE_URL, pgliteDir };
}

/** Prints `error [CODE]: message` and exits non-zero; unexpected errors keep their stack. */
export function exitWithError(prefix: string, error: unknown): never {
  if (error instanceof DbError) {
    process.stderr.write(`${prefix}: error [${error.code}]: ${error.message}\n`);
  } else {
    process.stderr.write(
      `${prefix}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
}

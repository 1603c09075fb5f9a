/** Stable codes for everything the data layer refuses or fails at. */
export type DbErrorCode =
  | 'DB_URL_INVALID'
  | 'DB_UNREACHABLE'
  | 'DB_NOT_MIGRATED'
  | 'DB_MIGRATION_FAILED'
  | 'DB_MIGRATIONS_INVALID'
  | 'DB_MIGRATION_NAME_INVALID'
  | 'DB_NO_SCHEMA_CHANGE'
  | 'DB_SCHEMA_ENGINE_FAILED'
  | 'DB_PGLITE_DIR_INVALID'
  | 'DB_PGLITE_IN_USE';

export class DbError extends Error {
  override readonly name = 'DbError';
  constructor(
    readonly code: DbErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

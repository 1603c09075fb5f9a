// Prisma's schema engine (the migrate/diff half of Prisma) compiled to wasm, driven over a driver
// adapter, so migrations are created and applied without the native engine binary that the Prisma
// CLI downloads from Prisma's host. The migrations folder and the `_prisma_migrations` table are
// the engine's own, so `prisma migrate deploy` agrees with everything done here.
//
// The npm package imports its .wasm file as an ES module, which Node only allows behind
// --experimental-wasm-modules. Its JS glue is an ordinary module, so the wasm is instantiated here
// with the WebAssembly API and handed to the glue: no Node flag, same code under tsx and vitest.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type {
  DiffTarget,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
  SchemasContainer,
} from '@prisma/schema-engine-wasm';

import { DbError, errorMessage } from './errors.js';
import { wasmApi } from './wasm-types.js';
import { migrationsDir, schemaPath } from './paths.js';

type SchemaEngineModule = typeof import('@prisma/schema-engine-wasm');

let modulePromise: Promise<SchemaEngineModule> | undefined;

function loadSchemaEngineModule(): Promise<SchemaEngineModule> {
  modulePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = (await import(pathToFileURL(gluePath).href)) as SchemaEngineModule & {
      __wbg_set_wasm(exports: Record<string, unknown>): void;
    };
    const bytes = await readFile(gluePath.replace(/\.js$/, '.wasm'));
    const { instance } = await wasmApi.instantiate(bytes, {
      './schema_engine_bg.js': glue as unknown as Record<string, unknown>,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    // The engine reports a Rust panic's message through this global before it throws.
    const registry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
    registry.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        lastPanic = message;
      },
    };
    return glue;
  })();
  modulePromise.catch(() => {
    modulePromise = undefined;
  });
  return modulePromise;
}

let lastPanic: string | undefined;

const noFilter: SchemaFilter = { externalTables: [], externalEnums: [] };

export interface EngineSchema {
  path: string;
  content: string;
}

export async function readSchema(): Promise<EngineSchema> {
  return { path: schemaPath, content: await readFile(schemaPath, 'utf8') };
}

function schemasContainer(schema: EngineSchema): SchemasContainer {
  return { files: [{ path: schema.path, content: schema.content }] };
}

/** The migrations folder as the Prisma CLI reads it: sorted directories, each with migration.sql. */
export async function readMigrations(dir: string = migrationsDir): Promise<MigrationList> {
  const lockfilePath = 'migration_lock.toml';
  const lockfile = await readFile(join(dir, lockfilePath), 'utf8').catch(() => null);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    entries = [];
  }
  const migrationDirectories: MigrationList['migrationDirectories'] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = 'migration.sql';
    const content = await readFile(join(dir, entry.name, file), 'utf8').then(
      (value) => ({ tag: 'ok' as const, value }),
      (error: unknown) => ({ tag: 'error' as const, value: errorMessage(error) }),
    );
    migrationDirectories.push({ path: entry.name, migrationFile: { path: file, content } });
  }
  return {
    baseDir: dir,
    lockfile: { path: lockfilePath, content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

function engineError(action: string, error: unknown, logs: string[]): DbError {
  const panic = lastPanic;
  lastPanic = undefined;
  const detail = [errorMessage(error), panic ? `panic: ${panic}` : '', ...logs.slice(-5)].filter(Boolean).join('\n');
  return new DbError('DB_SCHEMA_ENGINE_FAILED', `Prisma schema engine failed to ${action}: ${detail}`, {
    cause: error,
  });
}

/**
 * Runs `use` with a schema engine connected through `factory`. The engine's log lines are kept
 * for error messages; set DEBUG=schema-engine to see them as they come.
 */
export async function withSchemaEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: EngineSchema,
  action: string,
  use: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const mod = await loadSchemaEngineModule();
  const logs: string[] = [];
  const debug = /(^|,)\s*(schema-engine|\*)/.test(process.env.DEBUG ?? '');
  const onLog = (line: string) => {
    if (debug) process.stderr.write(`schema-engine ${line}\n`);
    logs.push(line);
    if (logs.length > 50) logs.shift();
  };
  let engine: SchemaEngine;
  try {
    engine = await mod.SchemaEngine.new(
      { datamodels: [[schema.path, schema.content]] },
      onLog,
      bindMigrationAwareSqlAdapterFactory(factory),
    );
  } catch (error) {
    throw engineError(action, error, logs);
  }
  try {
    return await use(engine);
  } catch (error) {
    if (error instanceof DbError) throw error;
    throw engineError(action, error, logs);
  } finally {
    engine.free();
  }
}

export async function applyMigrationsWith(
  factory: SqlMigrationAwareDriverAdapterFactory,
  dir: string = migrationsDir,
): Promise<string[]> {
  const [schema, migrationsList] = await Promise.all([readSchema(), readMigrations(dir)]);
  return withSchemaEngine(factory, schema, 'apply migrations', async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilter });
    return appliedMigrationNames;
  });
}

/** SQL taking `from` to `to`, or '' when they describe the same schema. */
export async function diffWith(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: EngineSchema,
  from: DiffTarget,
  to: DiffTarget,
): Promise<string> {
  return withSchemaEngine(factory, schema, 'diff schemas', async (engine) => {
    const { stdout } = await engine.diff({ from, to, script: true, exitCode: null, filters: noFilter });
    return normalizeScript(stdout ?? '');
  });
}

/** The engine prints a comment for an empty diff; only statements count. */
export function normalizeScript(script: string): string {
  const meaningful = script
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('--'))
    .join('\n');
  return meaningful === '' ? '' : script.trim();
}

export function schemaDatamodelTarget(schema: EngineSchema): DiffTarget {
  return { tag: 'schemaDatamodel', ...schemasContainer(schema) };
}

export function migrationsTarget(list: MigrationList): DiffTarget {
  return { tag: 'migrations', ...list };
}

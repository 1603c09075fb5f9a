import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

import { DbError, errorMessage } from './errors.js';
import { wasmApi, type WasmModule } from './wasm-types.js';

interface PgliteRuntime {
  wasmModule?: WasmModule;
  fsBundle?: Blob;
}

let runtimePromise: Promise<PgliteRuntime> | undefined;

/**
 * PGlite compiles its 9 MB wasm and unpacks its file bundle on every start; compiling once per
 * process and sharing the bundle makes every further instance (tests open many) start faster.
 */
function pgliteRuntime(): Promise<PgliteRuntime> {
  runtimePromise ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      const dist = dirname(require.resolve('@electric-sql/pglite'));
      const [wasm, data] = await Promise.all([
        readFile(join(dist, 'pglite.wasm')),
        readFile(join(dist, 'pglite.data')),
      ]);
      return { wasmModule: await wasmApi.compile(wasm), fsBundle: new Blob([data]) };
    } catch {
      // A PGlite release that moved its assets still works, only without the shared runtime.
      return {};
    }
  })();
  return runtimePromise;
}

/** Opens (creating if needed) a PGlite database: a directory, or `memory://` for an in-memory one. */
export async function startPglite(dataDir: string, extra: Pick<PGliteOptions, 'loadDataDir'> = {}): Promise<PGlite> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) {
    try {
      await mkdir(dataDir, { recursive: true });
    } catch (error) {
      throw new DbError('DB_PGLITE_DIR_INVALID', `Cannot create the PGlite data directory ${dataDir}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
  const runtime = await pgliteRuntime();
  try {
    const pglite = new PGlite(inMemory ? 'memory://' : dataDir, { ...(runtime as PGliteOptions), ...extra });
    await pglite.waitReady;
    return pglite;
  } catch (error) {
    throw new DbError(
      'DB_PGLITE_DIR_INVALID',
      `Cannot open the PGlite database in ${dataDir} (${errorMessage(error)}). ` +
        'If another process has it open, stop that process; if it is damaged, delete the directory to start afresh.',
      { cause: error },
    );
  }
}

import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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
 * A Blob over bytes already in memory whose arrayBuffer() is one copy of them. PGlite reads its
 * file bundle and a data-directory dump (loadDataDir) with arrayBuffer() on every start, and
 * Node's own Blob hands its bytes back through a stream of small chunks joined again: for the
 * 5 MB bundle and a 27 MB dump that is about a tenth of a PGlite start's CPU time. Each call
 * returns a fresh copy, as a Blob does (PGlite's file system keeps parts of the bundle's buffer).
 */
export class BytesBlob extends Blob {
  constructor(readonly content: Uint8Array<ArrayBuffer>) {
    super([content]);
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(new Uint8Array(this.content).buffer);
  }
}

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
      return { wasmModule: await wasmApi.compile(wasm), fsBundle: new BytesBlob(data) };
    } catch {
      // A PGlite release that moved its assets still works, only without the shared runtime.
      return {};
    }
  })();
  return runtimePromise;
}

const heldLocks = new Set<string>();
let exitHookInstalled = false;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is single-process: two processes opening one data directory (say the BFF and
 * `pnpm db:seed`) would corrupt it. A `<dir>.lock` file holding the owner's pid keeps the second
 * one out with a clear error; a lock left by a dead process is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = `${dataDir.replace(/[\\/]+$/, '')}.lock`;
  for (;;) {
    try {
      writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DbError('DB_PGLITE_DIR_INVALID', `Cannot create ${lockPath}: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    }
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
    } catch {
      // removed meanwhile: try again
    }
    const ownedHere = owner === process.pid && heldLocks.has(lockPath);
    if (ownedHere || (Number.isInteger(owner) && owner !== process.pid && isProcessAlive(owner))) {
      throw new DbError(
        'DB_PGLITE_IN_USE',
        `The PGlite database in ${dataDir} is open in ${ownedHere ? 'this process already' : `process ${owner}`}: ` +
          'PGlite serves one process at a time. Stop the other process (e.g. the running BFF) first, ' +
          `or use PostgreSQL via DATABASE_URL. If no such process exists, delete ${lockPath}.`,
      );
    }
    try {
      unlinkSync(lockPath);
    } catch {
      // another process took it over first: loop and read its pid
    }
  }
  heldLocks.add(lockPath);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const path of heldLocks) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    });
  }
  return () => {
    if (!heldLocks.delete(lockPath)) return;
    try {
      unlinkSync(lockPath);
    } catch {
      // already gone
    }
  };
}

/** Opens (creating if needed) a PGlite database: a directory, or `memory://` for an in-memory one. */
export async function startPglite(dataDir: string, extra: Pick<PGliteOptions, 'loadDataDir'> = {}): Promise<PGlite> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) {
    try {
      await mkdir(dataDir, { recursive: true });
    } catch (error) {
      throw new DbError(
        'DB_PGLITE_DIR_INVALID',
        `Cannot create the PGlite data directory ${dataDir}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  }
  const unlock = inMemory ? () => {} : lockDataDir(dataDir);
  const runtime = await pgliteRuntime();
  try {
    const pglite = new PGlite(inMemory ? 'memory://' : dataDir, { ...(runtime as PGliteOptions), ...extra });
    await pglite.waitReady;
    const close = pglite.close.bind(pglite);
    pglite.close = async () => {
      try {
        await close();
      } finally {
        unlock();
      }
    };
    return pglite;
  } catch (error) {
    unlock();
    throw new DbError(
      'DB_PGLITE_DIR_INVALID',
      `Cannot open the PGlite database in ${dataDir} (${errorMessage(error)}). ` +
        'If another process has it open, stop that process; if it is damaged, delete the directory to start afresh.',
      { cause: error },
    );
  }
}

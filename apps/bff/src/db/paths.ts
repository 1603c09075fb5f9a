import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findWorkspaceRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No pnpm-workspace.yaml above ${from}: cannot locate the workspace root.`);
    dir = parent;
  }
}

export const workspaceRoot = findWorkspaceRoot(dirname(fileURLToPath(import.meta.url)));
export const prismaDir = join(workspaceRoot, 'prisma');
export const schemaPath = join(prismaDir, 'schema.prisma');
export const migrationsDir = join(prismaDir, 'migrations');
/** Shipped product images; the BFF serves this folder at `/static/products`. */
export const catalogImagesDir = join(prismaDir, 'seed', 'images');
export const defaultPgliteDir = join(workspaceRoot, '.data', 'pglite');

export function resolvePgliteDir(dir: string | undefined): string {
  if (dir === undefined || dir === '') return defaultPgliteDir;
  if (dir.startsWith('memory://') || dir.startsWith('idb://')) return dir;
  return resolve(workspaceRoot, dir);
}

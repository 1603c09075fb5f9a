import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(root, 'scripts/check-catalog.mjs');

function check(dir: string) {
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

function workspace(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'uc-catalog-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

describe('every dependency version comes from the pnpm catalog (pnpm lint)', () => {
  it('holds for this repository', () => {
    expect(check(root)).toMatchObject({ status: 0, stderr: '' });
  });

  it('names a version written in a package.json, a catalog entry missing, and one nobody uses', () => {
    const dir = workspace({
      'pnpm-workspace.yaml': 'packages:\n  - apps/*\ncatalog:\n  zod: ^4.1.0\n  pino: ^10.0.0\n  left-over: 1.0.0\n',
      'package.json': { name: 'root', devDependencies: { zod: 'catalog:' } },
      'apps/api/package.json': {
        name: 'api',
        dependencies: { pino: 'catalog:', helmet: '^8.1.0', jose: 'catalog:', shared: 'workspace:*' },
      },
    });
    const r = check(dir);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines).toContain(
      'apps/api/package.json: dependencies.helmet is "^8.1.0": move the version to the catalog in pnpm-workspace.yaml and write "catalog:" here.',
    );
    expect(r.stderr).toContain('the default catalog has no jose');
    expect(r.stderr).toContain('lists left-over, which no package uses');
  });
});

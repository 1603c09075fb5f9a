import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The module graph drawn in apps/bff/README.md is the code's: every relative import between two
 * modules of src/ (a folder, or a file at its top) is an arrow there, every arrow there is an
 * import, and arrows point only downwards (to a module on a later line).
 */
const bffRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const srcDir = path.join(bffRoot, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const moduleOf = (file: string) =>
  path
    .relative(srcDir, file)
    .split(path.sep)[0]!
    .replace(/\.(ts|js|mjs)$/, '');

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
  where: string;
}

/** Static imports and re-exports, and dynamic import(), of relative paths. */
function importsOf(file: string): Import[] {
  const src = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?[^;]*?from\s*'(\.[^']+)'/gms;
  const dynamic = /\bimport\(\s*'(\.[^']+)'\s*\)/g;
  const add = (spec: string, typeOnly: boolean) => {
    const target = path.resolve(path.dirname(file), spec);
    if (!target.startsWith(srcDir + path.sep)) return; // prisma/seed and the like: outside the graph
    const where = path.relative(bffRoot, file);
    found.push({ from: moduleOf(file), to: moduleOf(target), typeOnly, where });
  };
  for (const m of src.matchAll(statement)) add(m[3]!, Boolean(m[2]));
  for (const m of src.matchAll(dynamic)) add(m[1]!, false);
  return found.filter((i) => i.from !== i.to);
}

/** The README's block: `module → dep, dep  # comment`, one line a module, top to bottom. */
function drawnGraph(): { order: string[]; arrows: Map<string, Set<string>> } {
  const readme = readFileSync(path.join(bffRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Module graph'));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('apps/bff/README.md: no graph block under "## Module graph"');
  const order: string[] = [];
  const arrows = new Map<string, Set<string>>();
  for (const line of block.split('\n')) {
    const body = line.replace(/#.*$/, '').trim();
    if (!body) continue;
    const [name, deps = ''] = body.split('→').map((s) => s.trim());
    order.push(name!);
    arrows.set(
      name!,
      new Set(
        deps
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean),
      ),
    );
  }
  return { order, arrows };
}

const imports = sourceFiles(srcDir).flatMap(importsOf);
const isContext = (name: string) => name === 'context';

describe('the BFF module graph in apps/bff/README.md', () => {
  it('lists every module of src/ once', () => {
    const { order } = drawnGraph();
    const modules = new Set(
      sourceFiles(srcDir)
        .map(moduleOf)
        .filter((m) => !isContext(m)),
    );
    expect(new Set(order).size).toBe(order.length);
    expect([...order].sort()).toEqual([...modules].sort());
  });

  it('points only downwards', () => {
    const { order, arrows } = drawnGraph();
    const upwards = [...arrows].flatMap(([from, deps]) =>
      [...deps].filter((to) => !(order.indexOf(to) > order.indexOf(from))).map((to) => `${from} → ${to}`),
    );
    expect(upwards).toEqual([]);
  });

  it('matches the imports in the code, both ways', () => {
    const { arrows } = drawnGraph();
    const actual = new Map<string, Set<string>>();
    for (const i of imports) {
      if (isContext(i.from) || isContext(i.to)) continue;
      if (!actual.has(i.from)) actual.set(i.from, new Set());
      actual.get(i.from)!.add(i.to);
    }
    const undrawn = imports
      .filter((i) => !isContext(i.from) && !isContext(i.to) && !arrows.get(i.from)?.has(i.to))
      .map((i) => `${i.where}: ${i.from} → ${i.to}`);
    const unused = [...arrows].flatMap(([from, deps]) =>
      [...deps].filter((to) => !actual.get(from)?.has(to)).map((to) => `${from} → ${to}`),
    );
    expect(undrawn).toEqual([]);
    expect(unused).toEqual([]);
  });

  it('keeps context.ts a type: it and every import of it are type-only', () => {
    const valueImports = imports
      .filter((i) => (isContext(i.from) || isContext(i.to)) && !i.typeOnly)
      .map((i) => `${i.where}: ${i.from} → ${i.to}`);
    expect(valueImports).toEqual([]);
  });
});

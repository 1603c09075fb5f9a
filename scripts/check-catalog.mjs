#!/usr/bin/env node
// `pnpm lint` runs this: every dependency of every workspace package (and of the root, which
// holds the cross-app tests in test/) takes its version from the pnpm catalog in
// pnpm-workspace.yaml, so each version is written once; the catalog holds nothing unused.
// Usage: node scripts/check-catalog.mjs [workspace root]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

const workspace = yaml.load(readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8')) ?? {};
const catalogs = { default: workspace.catalog ?? {}, ...(workspace.catalogs ?? {}) };

/** package directories named by the workspace globs (`dir/*` or a plain directory) */
function packageDirs() {
  const dirs = ['.'];
  for (const glob of workspace.packages ?? []) {
    if (glob.endsWith('/*')) {
      const parent = glob.slice(0, -2);
      if (!existsSync(path.join(root, parent))) continue;
      for (const entry of readdirSync(path.join(root, parent), { withFileTypes: true }))
        if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
    } else dirs.push(glob);
  }
  return dirs.filter((dir) => existsSync(path.join(root, dir, 'package.json')));
}

const problems = [];
const used = new Set();
for (const dir of packageDirs()) {
  const file = path.join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(path.join(root, file), 'utf8'));
  for (const field of FIELDS) {
    for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
      if (spec.startsWith('workspace:')) continue;
      if (!spec.startsWith('catalog:')) {
        problems.push(
          `${file}: ${field}.${name} is "${spec}": move the version to the catalog in pnpm-workspace.yaml and write "catalog:" here.`,
        );
        continue;
      }
      const catalog = spec.slice('catalog:'.length) || 'default';
      if (!catalogs[catalog]?.[name]) {
        problems.push(
          `${file}: ${field}.${name} is "${spec}", but the ${catalog} catalog has no ${name}: add it there.`,
        );
        continue;
      }
      used.add(`${catalog}\0${name}`);
    }
  }
}
for (const [catalog, entries] of Object.entries(catalogs)) {
  for (const name of Object.keys(entries ?? {})) {
    if (!used.has(`${catalog}\0${name}`))
      problems.push(`pnpm-workspace.yaml: the ${catalog} catalog lists ${name}, which no package uses: remove it.`);
  }
}

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`catalog: every dependency of ${packageDirs().length} packages comes from pnpm-workspace.yaml`);

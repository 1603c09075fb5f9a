// Compiles the BFF (and the workspace packages it imports, which ship TypeScript) into one ES
// module, dist/main.mjs; every npm dependency stays an import resolved from node_modules.
// Production runs that file with plain Node: no TypeScript loader in the process.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';

const bffDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const outfile = path.join(bffDir, 'dist', 'main.mjs');

/** An output file of a run's own beside dist/main.mjs (never it): dist/<prefix>-<random>.mjs. */
export function privateOutfile(prefix) {
  return path.join(bffDir, 'dist', `${prefix}-${randomBytes(4).toString('hex')}.mjs`);
}

/** Removes a build written to `file` (a privateOutfile) and its source map. */
export function removeBuild(file) {
  for (const f of [file, `${file}.map`]) rmSync(f, { force: true });
}

/**
 * `to`: another output file than dist/main.mjs (a run that must not replace the one `start` uses).
 * `entry`: another entry point than src/main.ts, bundled the same way (a program of the BFF's own
 * modules that runs beside it).
 */
export async function buildBff(to = outfile, entry = path.join(bffDir, 'src', 'main.ts')) {
  const pkg = JSON.parse(readFileSync(path.join(bffDir, 'package.json'), 'utf8'));
  const external = Object.keys(pkg.dependencies).filter((name) => !name.startsWith('@uni-checkout/'));
  await build({
    entryPoints: [entry],
    outfile: to,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // zod is the shared package's own dependency; the BFF depends on the same catalog version
    external: [...external, 'zod'],
    // the workspace packages' own CommonJS dependencies are bundled (the sandbox's node-forge):
    // their require() of Node's built-in modules needs a require in an ES module
    banner: {
      js: "import { createRequire as __bffCreateRequire } from 'node:module'; const require = __bffCreateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // the build service is a child process: not kept beside the server
  await stop();
  return to;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildBff();
  console.log(`built ${path.relative(process.cwd(), outfile)}`);
}

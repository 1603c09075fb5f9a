// `pnpm --filter @uni-checkout/bff start`: compiles src into dist/main.mjs (well under a second)
// and runs it in this process — compiled JavaScript, no TypeScript loader resident at run time.
import { pathToFileURL } from 'node:url';
import { buildBff } from './build.mjs';

const outfile = await buildBff();
await import(pathToFileURL(outfile).href);

// Imported first by the db CLIs (`pnpm db:migrate`, `pnpm db:seed`), before any WebAssembly is
// compiled. A CLI run lasts seconds and runs three large WebAssembly modules (PGlite, Prisma's
// schema engine and query compiler): V8's optimising tier then spends more CPU compiling their
// hot functions in the background than the faster code gives back before the process exits.
// Its baseline compiler alone makes each run about a third cheaper. The long-running BFF keeps
// V8's defaults.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');

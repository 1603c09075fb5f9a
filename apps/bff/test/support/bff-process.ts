/**
 * The BFF as its own OS process, for tests that need separate processes: the compiled BFF, as
 * `start` runs it (scripts/build.mjs's one ES module, the start script's Node flags), built once
 * per run by global-setup.ts instead of a TypeScript loader compiling src in every process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { buildBff, privateOutfile, removeBuild } from '../../scripts/build.mjs';
import { killOnExit } from '../../bench/support.js';
import { bffDir, compiledBffCommand } from '../../bench/world.js';
import { provided } from './db.js';

let ownBuild: Promise<string> | undefined;

/**
 * How to start the compiled BFF: `node <start's flags> <main>` with cwd apps/bff. `main` is the
 * run's build (global-setup.ts); outside a vitest run, one this process builds and removes at exit.
 */
export async function compiledBff(): Promise<{ command: string; args: string[]; cwd: string }> {
  let main = provided('bffMain');
  if (!main) {
    ownBuild ??= buildBff(privateOutfile('test')).then((built) => {
      process.once('exit', () => removeBuild(built));
      return built;
    });
    main = await ownBuild;
  }
  return { ...compiledBffCommand(main), cwd: bffDir };
}

export interface BffProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startBffProcess(env: Record<string, string>): Promise<BffProcess> {
  const { command, args, cwd } = await compiledBff();
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'uni-checkout BFF listening' && entry.url) resolve(entry.url);
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`BFF process exited (${code}) before listening: ${stderr}`)));
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

import { defineConfig, loadEnv, type Plugin } from 'vite';
import uniModule from '@dcloudio/vite-plugin-uni';
import { localAssets } from './vite/local-assets';

// The plugin is published as CommonJS; from an ESM config its factory sits under `default`.
const uni = ((uniModule as unknown as { default?: unknown }).default ?? uniModule) as () => Plugin[];

function h5Port(): number {
  const raw = process.env.H5_PORT ?? '5173';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new Error(`H5_PORT must be a TCP port number (0-65535), got "${raw}"`);
  }
  return port;
}

/**
 * A production bundle must name its BFF: falling back to 127.0.0.1 would ship a mini-program that
 * talks to nothing (or to whatever listens on the user's own machine).
 */
function assertApiBase(mode: string): void {
  const env = loadEnv(mode, process.cwd(), 'VITE_');
  if (!env.VITE_API_BASE?.trim()) {
    throw new Error(
      `VITE_API_BASE is not set: a ${mode} build needs the BFF's https origin, e.g. ` +
        'VITE_API_BASE=https://shop.example.com pnpm build:mp-weixin',
    );
  }
}

/** The uni-app script of the sandbox build (package.json → uni-app.scripts): `#ifdef SANDBOX`. */
const SANDBOX_SCRIPT = 'mp-weixin-sandbox';

/**
 * The sandbox build logs in with made-up openids and pays through an in-app stand-in for WeChat's
 * pay sheet: it is for WeChat DevTools against `pnpm dev`, never for users.
 */
function assertNotSandbox(mode: string): void {
  if (process.env.UNI_CUSTOM_SCRIPT === SANDBOX_SCRIPT) {
    throw new Error(
      `-p ${SANDBOX_SCRIPT} is the development build for WeChat DevTools (pnpm dev:mp-weixin); ` +
        `a ${mode} build is made with -p mp-weixin (pnpm build:mp-weixin)`,
    );
  }
}

/**
 * The production h5 build (`pnpm build:h5`, where the uni CLI sets NODE_ENV=production) is minified
 * with esbuild instead of uni-app's default, terser: the same output syntax (Vite lowers every chunk
 * to its build target with esbuild either way), JavaScript about 1% larger, and the build takes about
 * a third less CPU time. The mini-program keeps terser: its esbuild-minified bundle stopped showing
 * the admin login's error toast in WeChat's component framework. A watching development build stays
 * unminified, and `--minify` on the command line still wins.
 */
const buildOptions =
  process.env.NODE_ENV === 'production' && process.env.UNI_PLATFORM === 'h5' ? { minify: 'esbuild' as const } : {};

export default defineConfig(({ command, mode }) => {
  if (command === 'build' && mode === 'production') {
    assertNotSandbox(mode);
    assertApiBase(mode);
  }
  return {
    plugins: [uni(), localAssets()],
    build: buildOptions,
    server: { host: '127.0.0.1', port: h5Port(), strictPort: true },
    preview: { host: '127.0.0.1', port: h5Port() },
  };
});

import { defineConfig, type Plugin } from 'vite';
import uniModule from '@dcloudio/vite-plugin-uni';

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

export default defineConfig({
  plugins: [uni()],
  server: { host: '127.0.0.1', port: h5Port(), strictPort: true },
  preview: { host: '127.0.0.1', port: h5Port() },
});

/**
 * Where the BFF lives. Build time: `VITE_API_BASE` (.env files or the shell).
 * h5 run time: a hosting page may set `window.__UNI_CHECKOUT_API__` before the app starts
 * (a deploy-time config script, or an e2e harness); in builds with `VITE_ALLOW_API_OVERRIDE=true`
 * (development) a `?api=<origin>` query parameter is honoured too. Mini-program builds only use
 * the build-time value, because WeChat only lets them call the request domains listed in its
 * admin console anyway.
 */
const DEFAULT_API_BASE = 'http://127.0.0.1:3000';

declare global {
  interface Window {
    __UNI_CHECKOUT_API__?: string;
  }
}

/** An http(s) origin (optionally with a path prefix) without its trailing slash, or null. */
export function normalizeApiBase(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const trimmed = value.trim();
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(trimmed)) return null;
  return trimmed.replace(/\/+$/, '');
}

function runtimeOverride(): string | null {
  // #ifdef H5
  if (typeof window !== 'undefined') {
    const fromWindow = normalizeApiBase(window.__UNI_CHECKOUT_API__);
    if (fromWindow) return fromWindow;
    if (import.meta.env.VITE_ALLOW_API_OVERRIDE === 'true') {
      const fromQuery = normalizeApiBase(new URLSearchParams(window.location.search).get('api'));
      if (fromQuery) return fromQuery;
    }
  }
  // #endif
  return null;
}

export function getApiBase(): string {
  return runtimeOverride() ?? normalizeApiBase(import.meta.env.VITE_API_BASE) ?? DEFAULT_API_BASE;
}

export function getRequestTimeoutMs(): number {
  const ms = Number(import.meta.env.VITE_API_TIMEOUT_MS);
  return Number.isInteger(ms) && ms > 0 ? ms : 10_000;
}

/**
 * The BFF returns asset paths relative to its own origin (`/static/products/x.png`);
 * a page needs an absolute URL because the app itself is served from elsewhere.
 */
export function resolveAssetUrl(path: string): string {
  if (/^(https?:)?\/\//i.test(path) || path.startsWith('data:')) return path;
  return `${getApiBase()}${path.startsWith('/') ? '' : '/'}${path}`;
}

import type { App } from 'vue';
import uviewPlus from 'uview-plus';
import packagedIconFontUrl from 'virtual:uview-icon-font';

/**
 * uview-plus loads its icon font from a third-party CDN by default; the app ships the copy from
 * the npm package instead (see vite/local-assets.ts): no outside request, works offline, needs no
 * downloadFile 合法域名. `VITE_ICON_FONT_URL` may name a copy on the shop's own domain instead.
 */
function iconFontUrl(): string {
  return import.meta.env.VITE_ICON_FONT_URL || packagedIconFontUrl;
}

/** The package's own config has `iconUrl`; its type declarations lag behind and omit it. */
type UviewConfig = Parameters<typeof uviewPlus.install>[1] extends
  (() => { options?: { config?: infer C } }) | undefined
  ? C & { iconUrl?: string }
  : never;

export function installUview(app: App): void {
  const config: UviewConfig = { iconUrl: iconFontUrl() };
  app.use(uviewPlus, () => ({ options: { config } }));
}

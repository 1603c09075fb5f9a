import type { App } from 'vue';
import uviewPlus from 'uview-plus';
// #ifdef H5
import bundledIconFontUrl from 'uview-plus/components/u-icon/upicon.ttf?url';
// #endif

/**
 * uview-plus loads its icon font from a third-party CDN by default. h5 serves the copy shipped in
 * the package instead (no outside request, works offline). WeChat's `loadFontFace` only takes a
 * network URL, so the mini-program keeps the default unless `VITE_ICON_FONT_URL` names one on the
 * shop's own domain (listed among the downloadFile 合法域名).
 */
function iconFontUrl(): string | undefined {
  const configured = import.meta.env.VITE_ICON_FONT_URL;
  if (configured) return configured;
  // #ifdef H5
  return bundledIconFontUrl;
  // #endif
  return undefined;
}

/** The package's own config has `iconUrl`; its type declarations lag behind and omit it. */
type UviewConfig = Parameters<typeof uviewPlus.install>[1] extends
  (() => { options?: { config?: infer C } }) | undefined
  ? C & { iconUrl?: string }
  : never;

export function installUview(app: App): void {
  const iconUrl = iconFontUrl();
  const config: UviewConfig = iconUrl ? { iconUrl } : {};
  app.use(uviewPlus, () => ({ options: { config } }));
}

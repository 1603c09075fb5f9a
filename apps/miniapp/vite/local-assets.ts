/**
 * Keeps both bundles free of third-party CDNs (the shop must work, and leak nothing, without them):
 *
 * - uview-plus's icon font: its default `iconUrl` points at a font on at.alicdn.com. The app serves
 *   the copy the npm package ships instead (`virtual:uview-icon-font`): h5 as an emitted asset,
 *   mp-weixin inlined as a `data:` URL (WeChat's `loadFontFace` accepts those, but no path inside the
 *   package), and the default URL is blanked so that it is not in the bundle at all.
 * - uni-app's runtime preloads a shadow image from DCloud's CDN (cdn1.dcloud.net.cn): the h5 build
 *   through CSS keyframes in its framework styles, the mp-weixin build through `wx.preloadAssets`
 *   3 s after launch (the host spelled with `String.fromCharCode`). The shop draws no native shadow,
 *   so both go.
 *
 * Each rewrite fails the build when the code it expects is gone, so an upgrade of uview-plus or
 * uni-app that moves it is noticed instead of silently loading from the CDN again.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Plugin } from 'vite';

const require = createRequire(import.meta.url);

export const ICON_FONT_MODULE = 'virtual:uview-icon-font';
const RESOLVED_ICON_FONT_MODULE = `\0${ICON_FONT_MODULE}`;
const ICON_FONT = 'uview-plus/components/u-icon/upicon.ttf';

const UVIEW_DEFAULT_ICON_URL = /iconUrl:\s*'https:\/\/at\.alicdn\.com\/[^']*'/;
const MP_WEIXIN_PRELOAD = /function preloadAsset\(\) \{\n[\s\S]*?\n\}\n/;
const DCLOUD_CDN_CSS_URL = /url\(\s*['"]?https:\/\/cdn\d*\.dcloud\.net\.cn\/[^)'"]*['"]?\s*\)/g;

function endsWithPath(id: string, suffix: string): boolean {
  return id.split('?')[0]!.replace(/\\/g, '/').endsWith(suffix);
}

export function localAssets(): Plugin {
  return {
    name: 'uni-checkout:local-assets',
    resolveId(id) {
      return id === ICON_FONT_MODULE ? RESOLVED_ICON_FONT_MODULE : null;
    },
    load(id) {
      if (id !== RESOLVED_ICON_FONT_MODULE) return null;
      if (process.env.UNI_PLATFORM === 'h5') return `export { default } from '${ICON_FONT}?url';`;
      const font = readFileSync(require.resolve(ICON_FONT));
      return `export default ${JSON.stringify(`data:font/ttf;charset=utf-8;base64,${font.toString('base64')}`)};`;
    },
    transform(code, id) {
      if (endsWithPath(id, 'uview-plus/libs/config/config.js')) {
        if (!UVIEW_DEFAULT_ICON_URL.test(code)) this.error('uview-plus config.js: the default iconUrl moved');
        return { code: code.replace(UVIEW_DEFAULT_ICON_URL, "iconUrl: ''"), map: null };
      }
      if (endsWithPath(id, '@dcloudio/uni-mp-weixin/dist/uni.mp.esm.js')) {
        if (!MP_WEIXIN_PRELOAD.test(code)) this.error('uni-mp-weixin: preloadAsset() moved');
        return { code: code.replace(MP_WEIXIN_PRELOAD, 'function preloadAsset() {}\n'), map: null };
      }
      if (id.includes('@dcloudio/uni-h5/style/framework/')) {
        const local = code.replace(DCLOUD_CDN_CSS_URL, 'none');
        if (local !== code) return { code: local, map: null };
      }
      return null;
    },
  };
}

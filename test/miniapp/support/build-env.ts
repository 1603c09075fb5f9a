/**
 * The one build environment every browser test uses, so that they all share one cached build
 * (see `cachedBuild`).
 */

/** Built into the bundles on purpose: the h5 tests must reach the BFF only through the runtime override. */
export const BUILD_API_BASE = 'https://shop-bff.invalid';

/**
 * Server-side secrets present in the build's environment, as on a developer machine that has the BFF's
 * variables exported: none of them may reach a bundle (only VITE_* names are meant to). Fixed values
 * (they are markers, not secrets) so that identical sources give an identical, reusable build.
 */
export const SECRET_SENTINELS = {
  WECHAT_APPSECRET: 'sentinelAppsecret4f9c2a7e1b8d',
  WECHATPAY_APIV3_KEY: 'sentinelApiv3key9d3e6b1c7a20',
  JWT_SECRET: 'sentinelJwtsecret2b7f8e4d1c96a3',
  ADMIN_PASSWORD: 'sentinelAdminpw6c1a9e3f7b25',
};

export const TEST_BUILD_ENV: Record<string, string> = { VITE_API_BASE: BUILD_API_BASE, ...SECRET_SENTINELS };

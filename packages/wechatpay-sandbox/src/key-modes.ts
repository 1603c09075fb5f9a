/**
 * The three ways WeChat Pay signs for a merchant:
 * - `public-key`: 微信支付公钥 (`PUB_KEY_ID_…`), merchants registered since late 2024; no platform certificate.
 * - `platform-cert`: 平台证书, downloaded from `GET /v3/certificates`, serial in `Wechatpay-Serial`.
 * - `switching`: 平台证书 → 微信支付公钥. Answers are signed with the public key only when the request
 *   carries `Wechatpay-Serial: PUB_KEY_ID_…`; callbacks with either key, the public key's share growing
 *   over the switch period (微信支付公钥灰度切换).
 *
 * A module of its own, without the key code, so that the CLI checks SANDBOX_KEY_MODE before loading it.
 */
export const KEY_MODES = ['public-key', 'platform-cert', 'switching'] as const;
export type KeyMode = (typeof KEY_MODES)[number];

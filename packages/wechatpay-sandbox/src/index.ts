export { createSandbox } from './sandbox.js';
export type { Sandbox, SandboxOptions, PayInput } from './sandbox.js';
export type { SandboxCredentials } from './credentials.js';
export { CREDENTIALS_FILE } from './credentials.js';
export { Faults, defaultFaults } from './faults.js';
export type { FaultConfig, FaultPatch } from './faults.js';
export { NOTIFY_RETRY_SCHEDULE_MS } from './notifier.js';
export type { NotificationRecord, NotificationAttempt, NotificationState } from './store.js';
export {
  aesGcmDecrypt,
  aesGcmEncrypt,
  buildAuthorization,
  buildRequestPaymentSignString,
  buildRequestSignString,
  buildResponseSignString,
  decryptNotificationResource,
  parseAuthorization,
  randomNonce,
  signRequestPayment,
  signSha256Rsa,
  verifySha256Rsa,
} from './crypto.js';
export type { AuthorizationParts, EncryptedResource, RequestPaymentParams } from './crypto.js';
export { DELIVERY_COMPANIES, CONTACT_REQUIRED_COMPANIES } from './delivery.js';
export type { DeliveryCompany } from './delivery.js';
export { ORDER_STATE, ORDER_STATE_NAME, isMaskedContact } from './wxa.js';
export type { ShippingView, StableTokenCall, ShippingUpload } from './wxa.js';

export {
  API_KEY_PATTERN,
  type ApiKeyEnvironment,
  apiKeyDisplayPrefix,
  apiKeyEnvironment,
  isWellFormedApiKey,
  mintApiKey,
} from './api-key.js';
export {
  type AuthorizationCredentials,
  type BasicClientCredentials,
  MAX_AUTHORIZATION_LENGTH,
  MAX_TOKEN68_LENGTH,
  parseAuthorization,
  parseBasicClientCredentials,
} from './authorization-header.js';
export { decodeBase64Url, encodeBase64Url } from './base64url.js';
export { constantTimeEqual } from './constant-time.js';
export {
  AccessDenied,
  ErrorCode,
  fail,
  InsufficientScope,
  InvalidClient,
  InvalidGrant,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  InvalidToken,
  MethodNotAllowed,
  NotFound,
  ok,
  PayloadTooLarge,
  type Result,
  ServerError,
  TemporarilyUnavailable,
  TesseraError,
  type TesseraErrorOptions,
  UnauthorizedClient,
  UnsupportedGrantType,
  UnsupportedMediaType,
  UnsupportedTokenType,
} from './errors.js';
export { type RevocableToken, type RevocationEntry, RevocationList } from './revocation-list.js';
export { formatScope, parseScope } from './scope.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  generateWebhookId,
  generateWebhookSecret,
  parseWebhookSecret,
  signWebhook,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type WebhookHeaderSource,
  type WebhookHeaders,
  type WebhookMessage,
  WebhookRejected,
  type WebhookRejectionReason,
  webhookHeaders,
} from './webhook-signature.js';
export { formatChallenge } from './www-authenticate.js';

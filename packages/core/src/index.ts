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
export { DpopNonces } from './dpop/dpop-nonce.js';
export {
  DPOP_ALGORITHMS,
  DPOP_FUTURE_SKEW_SECONDS,
  DPOP_PROOF_MAX_AGE_SECONDS,
  type DpopAlgorithm,
  type DpopExpectations,
  type DpopFailure,
  type DpopProof,
  verifyDpopProof,
} from './dpop/dpop-proof.js';
export { normalizeHtu } from './dpop/htu.js';
export { jwkThumbprint } from './dpop/jwk-thumbprint.js';
export { type DpopKey, type DpopProofInput, dpopKey, signDpopProof } from './dpop/sign-dpop-proof.js';
export {
  AccessDenied,
  ErrorCode,
  fail,
  InsufficientScope,
  InvalidClient,
  InvalidDpopProof,
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
  TooManyRequests,
  UnauthorizedClient,
  UnsupportedGrantType,
  UnsupportedTokenType,
  UseDpopNonce,
} from './errors.js';
export {
  type CertificateNames,
  certificateNames,
  parseDistinguishedName,
  parseSubjectAltName,
  type SubjectAltName,
  type SubjectAltNameType,
  subjectAltNameKey,
} from './mtls/certificate-names.js';
export {
  CLIENT_CERT_CHAIN_HEADER,
  CLIENT_CERT_HEADER,
  certificateThumbprint,
  formatClientCertHeader,
  parseClientCertHeader,
} from './mtls/client-certificate.js';
export { type RevocableToken, type RevocationEntry, RevocationList } from './revocation-list.js';
export { formatScope, parseScope } from './scope.js';
export { formatAmzDate, parseAmzDate } from './sigv4/amz-date.js';
export {
  formatSigV4Authorization,
  MAX_SIGV4_AUTHORIZATION_LENGTH,
  parseSigV4Authorization,
  type SigV4Authorization,
} from './sigv4/authorization.js';
export { EMPTY_BODY_SHA256 } from './sigv4/canonical-request.js';
export { type SignSigV4RequestInput, type SigV4Signature, signSigV4Request } from './sigv4/sign-request.js';
export { deriveSigV4SigningKey, SIGV4_ALGORITHM } from './sigv4/signing-key.js';
export { SigV4Rejected, type SigV4RejectionReason } from './sigv4/sigv4-rejected.js';
export {
  SIGV4_CLOCK_TOLERANCE_SECONDS,
  type SigV4ReplayCheck,
  type SigV4Request,
  type SigV4SigningKey,
  type SigV4SigningKeyLookup,
  UNSIGNED_PAYLOAD,
  type VerifiedSigV4Request,
  type VerifySigV4Options,
  verifySigV4Request,
} from './sigv4/verify-request.js';
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

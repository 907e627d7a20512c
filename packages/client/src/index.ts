// The client package's public API; each module adds its named exports here.
export {
  createTokenSource,
  type TokenEndpointAuthMethod,
  TokenRequestError,
  type TokenSource,
  type TokenSourceOptions,
} from './token-source.js';
export {
  type SignedWebhookHeadersOptions,
  signedWebhookHeaders,
  verifyWebhookRequest,
  type WebhookBody,
} from './webhooks.js';

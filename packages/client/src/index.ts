// The client package's public API; each module adds its named exports here.
export {
  asksForDpopNonce,
  createDpopFetch,
  createDpopProver,
  type DpopFetchOptions,
  type DpopProver,
  type DpopProverOptions,
} from './dpop.js';
export { createMtlsFetch, type MtlsFetchOptions } from './mtls-fetch.js';
export { createSigV4Fetch, type SigV4FetchOptions } from './sigv4-fetch.js';
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

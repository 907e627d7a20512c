/** What both servers are configured with, so the benchmark compares like with like. */

/** The audience (`aud`) of the benchmark API on both servers. */
export const AUDIENCE = 'bench-api';

/** The scopes the benchmark API defines; token requests ask for `read`. */
export const API_SCOPE = 'read write';

/** The scope each token request asks for. */
export const REQUESTED_SCOPE = 'read';

/**
 * The resource indicator sent to oidc-provider. RFC 8707 requires an absolute URI, so it is a URN
 * that the bench server maps to the audience `bench-api`.
 */
export const OIDC_PROVIDER_RESOURCE = 'urn:bench-api';

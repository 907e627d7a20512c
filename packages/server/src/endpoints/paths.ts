/** Where each endpoint is served, relative to the issuer. */
export const PATHS = {
  token: '/token',
  introspection: '/introspect',
  revocation: '/revoke',
  jwks: '/jwks',
  revocationFeed: '/revocations',
  sigv4SigningKey: '/sigv4/signing-key',
  certificateClient: '/mtls/client',
  authorization: '/authorize',
  login: '/login',
  consent: '/consent',
  endSession: '/logout',
  account: '/account',
  accountRevoke: '/account/revoke',
  userinfo: '/userinfo',
  oauthMetadata: '/.well-known/oauth-authorization-server',
  openidMetadata: '/.well-known/openid-configuration',
} as const;

/** The absolute URL of an endpoint under `issuer`. */
export const endpointUrl = (issuer: string, path: string) => `${issuer.replace(/\/$/, '')}${path}`;

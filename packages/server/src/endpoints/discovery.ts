import { CLIENT_ASSERTION_ALGS } from '../services/client-authentication.js';
import { SUPPORTED_AUTH_METHODS } from '../services/clients.js';
import type { ResourceServerService } from '../services/resource-servers.js';
import type { EndpointResponse } from './endpoint-io.js';
import { endpointUrl, PATHS } from './paths.js';
import { SUPPORTED_GRANT_TYPES } from './token.js';

export interface DiscoveryEndpointDeps {
  issuer: string;
  resourceServers: ResourceServerService;
}

/**
 * Authorization server metadata (RFC 8414), served at both well-known paths: the members
 * OpenID Connect Discovery adds appear as the features behind them arrive.
 */
export function createDiscoveryEndpoint(deps: DiscoveryEndpointDeps) {
  const url = (path: string) => endpointUrl(deps.issuer, path);
  return async function discoveryEndpoint(): Promise<EndpointResponse> {
    const scopes = new Set((await deps.resourceServers.list()).flatMap((api) => api.scopes));
    return {
      status: 200,
      headers: { 'cache-control': 'public, max-age=300' },
      body: {
        issuer: deps.issuer,
        token_endpoint: url(PATHS.token),
        jwks_uri: url(PATHS.jwks),
        introspection_endpoint: url(PATHS.introspection),
        revocation_endpoint: url(PATHS.revocation),
        // Not registered with IANA: Tessera's own, for verifiers that deny revoked JWTs.
        revocation_feed_endpoint: url(PATHS.revocationFeed),
        sigv4_signing_key_endpoint: url(PATHS.sigv4SigningKey),
        grant_types_supported: SUPPORTED_GRANT_TYPES,
        response_types_supported: [],
        scopes_supported: [...scopes].sort(),
        token_endpoint_auth_methods_supported: SUPPORTED_AUTH_METHODS,
        token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
        introspection_endpoint_auth_methods_supported: SUPPORTED_AUTH_METHODS,
        introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
        revocation_endpoint_auth_methods_supported: SUPPORTED_AUTH_METHODS,
        revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
      },
    };
  };
}

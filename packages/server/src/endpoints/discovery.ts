import { OFFLINE_ACCESS, OIDC_SCOPES, PROMPT_VALUES } from '../services/authorization-request.js';
import { CLIENT_ASSERTION_ALGS } from '../services/client-authentication.js';
import { SUPPORTED_AUTH_METHODS } from '../services/clients.js';
import { ID_TOKEN_ALG } from '../services/id-tokens.js';
import type { ResourceServerService } from '../services/resource-servers.js';
import { SUPPORTED_CLAIMS } from '../services/user-claims.js';
import type { EndpointResponse } from './endpoint-io.js';
import { endpointUrl, PATHS } from './paths.js';
import { SUPPORTED_GRANT_TYPES } from './token.js';

const SECRET_OR_KEY_METHODS = SUPPORTED_AUTH_METHODS.filter((method) => method !== 'none');

export interface DiscoveryEndpointDeps {
  issuer: string;
  resourceServers: ResourceServerService;
}

/**
 * Authorization server metadata (RFC 8414) and OpenID Provider metadata (OpenID Connect
 * Discovery 1.0), one document served at both well-known paths.
 */
export function createDiscoveryEndpoint(deps: DiscoveryEndpointDeps) {
  const url = (path: string) => endpointUrl(deps.issuer, path);
  return async function discoveryEndpoint(): Promise<EndpointResponse> {
    const scopes = new Set([
      ...OIDC_SCOPES,
      OFFLINE_ACCESS,
      ...(await deps.resourceServers.list()).flatMap((api) => api.scopes),
    ]);
    return {
      status: 200,
      headers: { 'cache-control': 'public, max-age=300' },
      body: {
        issuer: deps.issuer,
        authorization_endpoint: url(PATHS.authorization),
        token_endpoint: url(PATHS.token),
        userinfo_endpoint: url(PATHS.userinfo),
        end_session_endpoint: url(PATHS.endSession),
        jwks_uri: url(PATHS.jwks),
        introspection_endpoint: url(PATHS.introspection),
        revocation_endpoint: url(PATHS.revocation),
        // Not registered with IANA: Tessera's own, for verifiers that deny revoked JWTs.
        revocation_feed_endpoint: url(PATHS.revocationFeed),
        sigv4_signing_key_endpoint: url(PATHS.sigv4SigningKey),
        grant_types_supported: SUPPORTED_GRANT_TYPES,
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [ID_TOKEN_ALG],
        claims_supported: SUPPORTED_CLAIMS,
        prompt_values_supported: PROMPT_VALUES,
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        scopes_supported: [...scopes].sort(),
        token_endpoint_auth_methods_supported: SUPPORTED_AUTH_METHODS,
        token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
        // Introspection needs a client that can prove who it is: public clients cannot.
        introspection_endpoint_auth_methods_supported: SECRET_OR_KEY_METHODS,
        introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
        revocation_endpoint_auth_methods_supported: SUPPORTED_AUTH_METHODS,
        revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
      },
    };
  };
}

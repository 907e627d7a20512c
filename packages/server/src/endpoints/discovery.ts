import { DPOP_ALGORITHMS } from '@tessera/core';
import { OFFLINE_ACCESS, OIDC_SCOPES, PROMPT_VALUES } from '../services/authorization-request.js';
import { CLIENT_ASSERTION_ALGS } from '../services/client-authentication.js';
import { SUPPORTED_AUTH_METHODS, TLS_AUTH_METHODS } from '../services/clients.js';
import { ID_TOKEN_ALG } from '../services/id-tokens.js';
import type { ResourceServerService } from '../services/resource-servers.js';
import { SUPPORTED_CLAIMS } from '../services/user-claims.js';
import type { EndpointResponse } from './endpoint-io.js';
import { endpointUrl, PATHS } from './paths.js';
import { SUPPORTED_GRANT_TYPES } from './token.js';

export interface DiscoveryEndpointDeps {
  issuer: string;
  resourceServers: ResourceServerService;
  /** Whether client certificates are asked for (RFC 8705): a client CA is configured. */
  mtls?: boolean;
}

/**
 * Authorization server metadata (RFC 8414) and OpenID Provider metadata (OpenID Connect
 * Discovery 1.0), one document served at both well-known paths.
 */
export function createDiscoveryEndpoint(deps: DiscoveryEndpointDeps) {
  const url = (path: string) => endpointUrl(deps.issuer, path);
  // Without a client CA no certificate is asked for, so no method needing one is offered.
  const authMethods = deps.mtls
    ? SUPPORTED_AUTH_METHODS
    : SUPPORTED_AUTH_METHODS.filter((method) => !TLS_AUTH_METHODS.includes(method));
  // RFC 8705 §5: the same URLs, which ask for (without requiring) a client certificate.
  const mtls = deps.mtls
    ? {
        tls_client_certificate_bound_access_tokens: true,
        mtls_endpoint_aliases: {
          token_endpoint: url(PATHS.token),
          introspection_endpoint: url(PATHS.introspection),
          revocation_endpoint: url(PATHS.revocation),
        },
      }
    : {};
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
        // Tessera's own too: which tls_client_auth client a certificate names, for gateways.
        mtls_client_lookup_endpoint: url(PATHS.certificateClient),
        grant_types_supported: SUPPORTED_GRANT_TYPES,
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [ID_TOKEN_ALG],
        claims_supported: SUPPORTED_CLAIMS,
        prompt_values_supported: PROMPT_VALUES,
        dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        scopes_supported: [...scopes].sort(),
        token_endpoint_auth_methods_supported: authMethods,
        token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
        // A public client (none) introspects only the tokens issued to it, as every client does.
        introspection_endpoint_auth_methods_supported: authMethods,
        introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
        revocation_endpoint_auth_methods_supported: authMethods,
        revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
        ...mtls,
      },
    };
  };
}

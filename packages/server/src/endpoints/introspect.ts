import { isWellFormedApiKey } from '@tessera/core';
import type { AccessTokenService } from '../services/access-tokens.js';
import type { ApiKeyService } from '../services/api-keys.js';
import type { ClientAuthenticator } from '../services/client-authentication.js';
import type { GrantService } from '../services/grants.js';
import {
  authenticatedClient,
  type EndpointRequest,
  type EndpointResponse,
  NO_STORE,
  refuseRepeatedParams,
  requiredParam,
} from './endpoint-io.js';

export interface IntrospectionEndpointDeps {
  authenticator: ClientAuthenticator;
  accessTokens: AccessTokenService;
  apiKeys: ApiKeyService;
  grants: GrantService;
}

/**
 * RFC 7662 token introspection. The caller authenticates as a client; it learns about the
 * tokens issued to it, or about any token or API key when it is registered as a resource
 * server (API keys answer with `token_type: "api_key"` and `sub` = the key id).
 * Everything else, whether unknown, expired, revoked or another's, is `{"active": false}`.
 */
export function createIntrospectionEndpoint(deps: IntrospectionEndpointDeps) {
  return async function introspectionEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
    refuseRepeatedParams(request.form);
    const caller = await authenticatedClient(deps.authenticator, request);
    const token = requiredParam(request.form, 'token');
    if (isWellFormedApiKey(token)) {
      // Only resource servers may look up API keys; to anyone else a key is not active.
      const key = caller.resourceServer ? await deps.apiKeys.verify(token) : null;
      const body =
        key === null
          ? { active: false }
          : {
              active: true,
              token_type: 'api_key',
              sub: key.id,
              scope: key.scopes.join(' '),
              iat: key.createdAt,
              ...(key.expiresAt === null ? {} : { exp: key.expiresAt }),
              key_name: key.name,
              key_env: key.env,
              ...(key.rateLimit === null ? {} : { rate_limit: key.rateLimit }),
            };
      return { status: 200, headers: NO_STORE, body };
    }
    const refresh = await deps.grants.liveRefreshToken(token);
    if (refresh !== null) {
      const { grant } = refresh;
      const visible = caller.resourceServer || grant.clientId === caller.id;
      const body = visible
        ? {
            active: true,
            token_type: 'refresh_token',
            client_id: grant.clientId,
            sub: grant.userId,
            scope: grant.scopes.join(' '),
            iat: refresh.token.createdAt,
            exp: refresh.token.expiresAt,
          }
        : { active: false };
      return { status: 200, headers: NO_STORE, body };
    }
    const claims = await deps.accessTokens.introspect(token);
    const visible = claims !== null && (caller.resourceServer || claims.client_id === caller.id);
    return {
      status: 200,
      headers: NO_STORE,
      // RFC 9449 §6.2: a token bound to a DPoP key introspects as token_type DPoP.
      body: visible
        ? { active: true, token_type: claims.cnf?.jkt === undefined ? 'Bearer' : 'DPoP', ...claims }
        : { active: false },
    };
  };
}

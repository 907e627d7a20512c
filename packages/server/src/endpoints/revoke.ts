import { ErrorCode, InvalidRequest } from '@tessera/core';
import type { AccessTokenService } from '../services/access-tokens.js';
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

export interface RevocationEndpointDeps {
  authenticator: ClientAuthenticator;
  accessTokens: AccessTokenService;
  grants: GrantService;
}

/**
 * RFC 7009 token revocation. A refresh token takes its whole grant with it, access tokens
 * included. A client revokes only tokens issued to it; an unknown or
 * expired token is answered 200 like a revoked one (§2.2). `token_type_hint` is optional
 * and ignored: every kind of token is looked up.
 */
export function createRevocationEndpoint(deps: RevocationEndpointDeps) {
  return async function revocationEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
    refuseRepeatedParams(request.form);
    const client = await authenticatedClient(deps.authenticator, request);
    const token = requiredParam(request.form, 'token');
    const outcome =
      (await deps.grants.revokeByRefreshToken(token, client.id)) ??
      (await deps.accessTokens.revoke(token, client.id));
    if (outcome === 'not-owner') {
      throw new InvalidRequest(ErrorCode.ACCESS_DENIED, 'The token was not issued to this client.');
    }
    return { status: 200, headers: NO_STORE };
  };
}

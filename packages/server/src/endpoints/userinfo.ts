import {
  ErrorCode,
  InsufficientScope,
  InvalidRequest,
  InvalidToken,
  parseAuthorization,
} from '@tessera/core';
import type { AccessTokenService } from '../services/access-tokens.js';
import { type ClaimSource, userClaims } from '../services/user-claims.js';
import type { EndpointResponse } from './endpoint-io.js';
import { NO_STORE } from './endpoint-io.js';

export interface UserinfoEndpointDeps {
  accessTokens: AccessTokenService;
  users: { find(id: string): Promise<ClaimSource | null> };
}

export interface UserinfoRequest {
  readonly authorization: string | undefined;
  /** Whether the request also carried a token in its query or body, which is refused. */
  readonly tokenElsewhere: boolean;
}

/**
 * The OpenID Connect UserInfo endpoint (Core §5.3): the claims of the user an access token
 * holding `openid` speaks for, as far as its scopes release them. The token is accepted in
 * the Authorization header only; failures are RFC 6750 challenges.
 */
export function createUserinfoEndpoint(deps: UserinfoEndpointDeps) {
  return async function userinfoEndpoint(request: UserinfoRequest): Promise<EndpointResponse> {
    if (request.tokenElsewhere) {
      throw new InvalidRequest(
        ErrorCode.CREDENTIAL_IN_URL,
        'Send the access token in the Authorization header.',
      );
    }
    const parsed = request.authorization === undefined ? null : parseAuthorization(request.authorization);
    if (parsed === null || parsed.scheme !== 'bearer') {
      throw new InvalidToken(ErrorCode.CREDENTIALS_MISSING, 'A Bearer access token is required.');
    }
    const claims = await deps.accessTokens.introspect(parsed.token68);
    if (claims === null) {
      throw new InvalidToken(ErrorCode.TOKEN_INVALID, 'The access token is invalid, expired or revoked.');
    }
    const scopes = claims.scope.split(' ');
    if (!scopes.includes('openid')) {
      throw new InsufficientScope(ErrorCode.SCOPE_INSUFFICIENT, 'The access token lacks the openid scope.', {
        challenge: { scope: 'openid' },
      });
    }
    const user = await deps.users.find(claims.sub);
    if (user === null) {
      throw new InvalidToken(ErrorCode.TOKEN_INVALID, 'The access token is invalid, expired or revoked.', {
        detail: 'the token does not speak for a user',
      });
    }
    return { status: 200, headers: NO_STORE, body: { sub: user.id, ...userClaims(user, scopes) } };
  };
}

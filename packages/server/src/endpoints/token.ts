import { ErrorCode, InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '@tessera/core';
import type { ClientAuthenticator } from '../services/client-authentication.js';
import type { AuthorizationCodeGrant } from '../services/grants/authorization-code.js';
import type { ClientCredentialsGrant } from '../services/grants/client-credentials.js';
import type { RefreshTokenGrant } from '../services/grants/refresh-token.js';
import type { UserTokens } from '../services/grants/user-tokens.js';
import {
  authenticatedClient,
  type EndpointRequest,
  type EndpointResponse,
  NO_STORE,
  param,
  refuseRepeatedParams,
  requiredParam,
} from './endpoint-io.js';

export interface TokenEndpointDeps {
  authenticator: ClientAuthenticator;
  clientCredentials: ClientCredentialsGrant;
  authorizationCode: AuthorizationCodeGrant;
  refreshToken: RefreshTokenGrant;
}

/** The grant types this server carries out today. */
export const SUPPORTED_GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'];
/** Grants refused with a reason (RFC 9700 §2.4: the password grant must not be used). */
const REFUSED_GRANT_TYPES: Record<string, string> = {
  password:
    "The resource owner password grant is refused: it hands the user's password to the client (RFC 9700 §2.4). Use the authorization code flow with PKCE.",
};

/** RFC 6749 §3.2 token endpoint. */
export function createTokenEndpoint(deps: TokenEndpointDeps) {
  return async function tokenEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
    const { form } = request;
    refuseRepeatedParams(form, ['resource']);
    const grantType = requiredParam(form, 'grant_type');
    const refusal = REFUSED_GRANT_TYPES[grantType];
    if (refusal !== undefined) throw new UnsupportedGrantType(ErrorCode.GRANT_UNSUPPORTED, refusal);
    if (!SUPPORTED_GRANT_TYPES.includes(grantType)) {
      throw new UnsupportedGrantType(ErrorCode.GRANT_UNSUPPORTED, 'This grant type is not supported.');
    }
    const client = await authenticatedClient(deps.authenticator, request);
    if (!client.grantTypes.includes(grantType)) {
      throw new UnauthorizedClient(ErrorCode.GRANT_NOT_ALLOWED, 'This client may not use this grant type.');
    }
    const resources = form.getAll('resource');
    if (resources.some((resource) => resource === '')) {
      throw new InvalidRequest(ErrorCode.PARAM_INVALID, 'The resource parameter must not be empty.');
    }
    if (grantType === 'authorization_code') {
      return userTokensResponse(
        await deps.authorizationCode.handle(client, {
          code: requiredParam(form, 'code'),
          redirectUri: param(form, 'redirect_uri'),
          codeVerifier: param(form, 'code_verifier'),
        }),
      );
    }
    if (grantType === 'refresh_token') {
      return userTokensResponse(
        await deps.refreshToken.handle(client, {
          refreshToken: requiredParam(form, 'refresh_token'),
          scope: param(form, 'scope'),
        }),
      );
    }
    const issued = await deps.clientCredentials.handle(client, { scope: param(form, 'scope'), resources });
    return {
      status: 200,
      headers: NO_STORE,
      body: {
        access_token: issued.accessToken,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        ...(issued.scope === '' ? {} : { scope: issued.scope }),
      },
    };
  };
}

function userTokensResponse(tokens: UserTokens): EndpointResponse {
  return {
    status: 200,
    headers: NO_STORE,
    body: {
      access_token: tokens.accessToken,
      token_type: 'Bearer',
      expires_in: tokens.expiresIn,
      scope: tokens.scope,
      ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
      ...(tokens.idToken === undefined ? {} : { id_token: tokens.idToken }),
    },
  };
}

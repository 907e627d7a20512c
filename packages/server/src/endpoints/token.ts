import {
  certificateThumbprint,
  ErrorCode,
  InvalidDpopProof,
  InvalidRequest,
  UnauthorizedClient,
  UnsupportedGrantType,
} from '@tessera/core';
import { confirmationOf } from '../services/access-tokens.js';
import type { ClientAuthenticator } from '../services/client-authentication.js';
import { TLS_AUTH_METHODS } from '../services/clients.js';
import type { DpopGuard } from '../services/dpop-guard.js';
import type { AuthorizationCodeGrant } from '../services/grants/authorization-code.js';
import type { ClientCredentialsGrant } from '../services/grants/client-credentials.js';
import type { RefreshTokenGrant } from '../services/grants/refresh-token.js';
import {
  ACCESS_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT,
  type TokenExchangeGrant,
} from '../services/grants/token-exchange.js';
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
  tokenExchange: TokenExchangeGrant;
  dpop: DpopGuard;
  /** This endpoint's own URL, which DPoP proofs must name (`htu`). */
  url: string;
}

/** The grant types this server carries out today. */
export const SUPPORTED_GRANT_TYPES = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  TOKEN_EXCHANGE_GRANT,
];
/** Grants refused with a reason (RFC 9700 §2.4: the password grant must not be used). */
const REFUSED_GRANT_TYPES: Record<string, string> = {
  password:
    "The resource owner password grant is refused: it hands the user's password to the client (RFC 9700 §2.4). Use the authorization code flow with PKCE.",
};

/** RFC 6749 §3.2 token endpoint. */
export function createTokenEndpoint(deps: TokenEndpointDeps) {
  return async function tokenEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
    const { form } = request;
    // A token exchange may repeat `audience` too, so that it can refuse more than one target itself.
    refuseRepeatedParams(
      form,
      form.get('grant_type') === TOKEN_EXCHANGE_GRANT ? ['resource', 'audience'] : ['resource'],
    );
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
    const dpopJkt = await deps.dpop.check({ proofs: request.dpopProofs, method: 'POST', url: deps.url });
    if (dpopJkt === undefined && client.dpopBoundAccessTokens) {
      throw new InvalidDpopProof(ErrorCode.DPOP_REQUIRED, 'This client must send a DPoP proof (RFC 9449).');
    }
    // The nonce for the client's next proof; a client that sends none needs none.
    const nonce: Record<string, string> =
      dpopJkt === undefined ? {} : { 'dpop-nonce': deps.dpop.currentNonce() };
    // RFC 8705 §3: a client that authenticated with its certificate gets tokens bound to it.
    const certificateBinding =
      TLS_AUTH_METHODS.includes(client.authMethod) && request.clientCertificate !== undefined
        ? certificateThumbprint(request.clientCertificate.der)
        : undefined;
    if (grantType === 'authorization_code') {
      return userTokensResponse(
        await deps.authorizationCode.handle(client, {
          code: requiredParam(form, 'code'),
          redirectUri: param(form, 'redirect_uri'),
          codeVerifier: param(form, 'code_verifier'),
          dpopJkt,
          certificateThumbprint: certificateBinding,
        }),
        nonce,
      );
    }
    if (grantType === 'refresh_token') {
      return userTokensResponse(
        await deps.refreshToken.handle(client, {
          refreshToken: requiredParam(form, 'refresh_token'),
          scope: param(form, 'scope'),
          dpopJkt,
          certificateThumbprint: certificateBinding,
        }),
        nonce,
      );
    }
    if (grantType === TOKEN_EXCHANGE_GRANT) {
      const audiences = form.getAll('audience');
      if (audiences.some((audience) => audience === '')) {
        throw new InvalidRequest(ErrorCode.PARAM_INVALID, 'The audience parameter must not be empty.');
      }
      const exchanged = await deps.tokenExchange.handle(client, {
        subjectToken: requiredParam(form, 'subject_token'),
        subjectTokenType: requiredParam(form, 'subject_token_type'),
        requestedTokenType: param(form, 'requested_token_type'),
        actorToken: param(form, 'actor_token'),
        actorTokenType: param(form, 'actor_token_type'),
        scope: param(form, 'scope'),
        resources,
        audiences,
        confirmation: confirmationOf(dpopJkt, certificateBinding),
      });
      // RFC 8693 §2.2.1; no refresh token.
      return {
        status: 200,
        headers: { ...NO_STORE, ...nonce },
        body: {
          access_token: exchanged.accessToken,
          issued_token_type: ACCESS_TOKEN_TYPE,
          token_type: dpopJkt === undefined ? 'Bearer' : 'DPoP',
          expires_in: exchanged.expiresIn,
          scope: exchanged.scope,
        },
      };
    }
    const issued = await deps.clientCredentials.handle(client, {
      scope: param(form, 'scope'),
      resources,
      confirmation: confirmationOf(dpopJkt, certificateBinding),
    });
    return {
      status: 200,
      headers: { ...NO_STORE, ...nonce },
      body: {
        access_token: issued.accessToken,
        token_type: dpopJkt === undefined ? 'Bearer' : 'DPoP',
        expires_in: issued.expiresIn,
        ...(issued.scope === '' ? {} : { scope: issued.scope }),
      },
    };
  };
}

function userTokensResponse(tokens: UserTokens, headers: Record<string, string>): EndpointResponse {
  return {
    status: 200,
    headers: { ...NO_STORE, ...headers },
    body: {
      access_token: tokens.accessToken,
      token_type: tokens.tokenType,
      expires_in: tokens.expiresIn,
      scope: tokens.scope,
      ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
      ...(tokens.idToken === undefined ? {} : { id_token: tokens.idToken }),
    },
  };
}

import { ErrorCode, InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '@tessera/core';
import type { ClientAuthenticator } from '../services/client-authentication.js';
import type { ClientCredentialsGrant } from '../services/grants/client-credentials.js';
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
}

/** The grant types this server carries out today. */
export const SUPPORTED_GRANT_TYPES = ['client_credentials'];

/** RFC 6749 §3.2 token endpoint. */
export function createTokenEndpoint(deps: TokenEndpointDeps) {
  return async function tokenEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
    const { form } = request;
    refuseRepeatedParams(form, ['resource']);
    const grantType = requiredParam(form, 'grant_type');
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

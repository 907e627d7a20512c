import type { AccessTokenService } from '../services/access-tokens.js';
import type { ClientAuthenticator } from '../services/client-authentication.js';
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
}

/**
 * RFC 7662 token introspection. The caller authenticates as a client; it learns about the
 * tokens issued to it, or about any token when it is registered as a resource server.
 * Everything else, whether unknown, expired, revoked or another's, is `{"active": false}`.
 */
export function createIntrospectionEndpoint(deps: IntrospectionEndpointDeps) {
  return async function introspectionEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
    refuseRepeatedParams(request.form);
    const caller = await authenticatedClient(deps.authenticator, request);
    const claims = await deps.accessTokens.introspect(requiredParam(request.form, 'token'));
    const visible = claims !== null && (caller.resourceServer || claims.client_id === caller.id);
    return {
      status: 200,
      headers: NO_STORE,
      body: visible ? { active: true, token_type: 'Bearer', ...claims } : { active: false },
    };
  };
}

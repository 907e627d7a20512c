import { AccessDenied, ErrorCode } from '@tessera/core';
import type { ClientAuthenticator } from '../services/client-authentication.js';
import type { HmacCredentialService } from '../services/hmac-credentials.js';
import {
  authenticatedClient,
  type EndpointRequest,
  type EndpointResponse,
  NO_STORE,
  refuseRepeatedParams,
  requiredParam,
} from './endpoint-io.js';

export interface SigningKeyEndpointDeps {
  authenticator: ClientAuthenticator;
  hmacCredentials: HmacCredentialService;
}

/**
 * `POST /sigv4/signing-key` (form: `access_key_id`, `date`, `region`, `service`): the
 * day-scoped SigV4 signing key of a live credential, for resource servers. The secret
 * itself never leaves the server. Unknown or revoked credentials are `{"active": false}`.
 */
export function createSigningKeyEndpoint(deps: SigningKeyEndpointDeps) {
  return async function signingKeyEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
    refuseRepeatedParams(request.form);
    const caller = await authenticatedClient(deps.authenticator, request);
    if (!caller.resourceServer) {
      throw new AccessDenied(ErrorCode.ACCESS_DENIED, 'Only resource servers may look up signing keys.');
    }
    const { form } = request;
    const derived = await deps.hmacCredentials.derivedKey(
      requiredParam(form, 'access_key_id'),
      requiredParam(form, 'date'),
      requiredParam(form, 'region'),
      requiredParam(form, 'service'),
    );
    return {
      status: 200,
      headers: NO_STORE,
      body:
        derived === null
          ? { active: false }
          : {
              active: true,
              access_key_id: derived.accessKeyId,
              scope: derived.scopes.join(' '),
              signing_key: derived.signingKey.toString('base64url'),
            },
    };
  };
}

import { AccessDenied, certificateNames, decodeBase64Url, ErrorCode, InvalidRequest } from '@tessera/core';
import type { ClientAuthenticator } from '../services/client-authentication.js';
import { isCurrent } from '../services/client-certificates.js';
import type { ClientService } from '../services/clients.js';
import {
  authenticatedClient,
  type EndpointRequest,
  type EndpointResponse,
  NO_STORE,
  refuseRepeatedParams,
  requiredParam,
} from './endpoint-io.js';

export interface CertificateClientEndpointDeps {
  authenticator: ClientAuthenticator;
  clients: ClientService;
  now: () => number;
}

/**
 * `POST /mtls/client` (form: `certificate`, a DER certificate in base64url): the
 * `tls_client_auth` client registered for the certificate's subject DN or one of its
 * alternative names, for resource servers (the gateway's `mtls` scheme). The caller has
 * checked that the certificate chains to a CA it trusts; this maps its names to a client.
 * `{"active": false}` when no client is registered for it, or it is not current.
 */
export function createCertificateClientEndpoint(deps: CertificateClientEndpointDeps) {
  return async function certificateClientEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
    refuseRepeatedParams(request.form);
    const caller = await authenticatedClient(deps.authenticator, request);
    if (!caller.resourceServer) {
      throw new AccessDenied(ErrorCode.ACCESS_DENIED, 'Only resource servers may look up certificates.');
    }
    const der = decodeBase64Url(requiredParam(request.form, 'certificate'));
    const names = der === null ? null : certificateNames(der);
    if (der === null || names === null) {
      throw new InvalidRequest(
        ErrorCode.PARAM_INVALID,
        'The certificate parameter is not a base64url DER certificate.',
      );
    }
    const client = isCurrent(der, deps.now())
      ? await deps.clients.findByCertificateNames(names.matchKeys)
      : null;
    return {
      status: 200,
      headers: NO_STORE,
      body:
        client === null
          ? { active: false }
          : { active: true, client_id: client.id, scope: client.scopes.join(' ') },
    };
  };
}

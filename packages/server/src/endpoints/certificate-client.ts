import { AccessDenied, certificateNames, decodeBase64Url, ErrorCode, InvalidRequest } from '@tessera/core';
import type { ClientAuthenticator } from '../services/client-authentication.js';
import { isCurrent } from '../services/client-certificates.js';
import type { ClientService } from '../services/clients.js';
import type { ResourceServerService } from '../services/resource-servers.js';
import type { ClientRecord } from '../store/client-store.js';
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
  resourceServers: ResourceServerService;
  now: () => number;
}

/**
 * `POST /mtls/client` (form: `certificate`, a DER certificate in base64url, and one or more
 * `audience`, the caller's): the `tls_client_auth` client registered for the certificate's
 * subject DN or one of its alternative names, for resource servers (the gateway's `mtls`
 * scheme), with the scopes it may hold for those audiences. The caller has checked that the
 * certificate chains to a CA it trusts; this maps its names to a client. `{"active": false}`
 * when no client is registered for it, it is not current, or it may call none of the audiences.
 */
export function createCertificateClientEndpoint(deps: CertificateClientEndpointDeps) {
  return async function certificateClientEndpoint(request: EndpointRequest): Promise<EndpointResponse> {
    refuseRepeatedParams(request.form, ['audience']);
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
    const audiences = request.form.getAll('audience').filter((audience) => audience !== '');
    if (audiences.length === 0) {
      throw new InvalidRequest(ErrorCode.PARAM_MISSING, 'The audience parameter is required.');
    }
    const client = isCurrent(der, deps.now())
      ? await deps.clients.findByCertificateNames(names.matchKeys)
      : null;
    const scopes = client === null ? null : await scopesFor(client, audiences);
    return {
      status: 200,
      headers: NO_STORE,
      body:
        client === null || scopes === null
          ? { active: false }
          : { active: true, client_id: client.id, scope: scopes.join(' ') },
    };
  };

  /**
   * The client's scopes for the audiences it lists among `audiences`, narrowed as the client
   * credentials grant narrows them (to what a registered API defines); null when it lists
   * none. A client registered without audiences is not confined to any: every caller's count.
   */
  async function scopesFor(client: ClientRecord, audiences: readonly string[]): Promise<string[] | null> {
    const shared =
      client.audiences.length === 0
        ? audiences
        : audiences.filter((audience) => client.audiences.includes(audience));
    if (shared.length === 0) return null;
    const allowed = new Set<string>();
    for (const audience of new Set(shared)) {
      const api = await deps.resourceServers.findByAudience(audience);
      for (const scope of client.scopes) if (api === null || api.scopes.includes(scope)) allowed.add(scope);
    }
    return client.scopes.filter((scope) => allowed.has(scope));
  }
}

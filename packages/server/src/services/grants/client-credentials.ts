import { ErrorCode, InvalidScope, InvalidTarget, parseScope } from '@tessera/core';
import type { ClientRecord } from '../../store/client-store.js';
import type { AccessTokenService, Confirmation, IssuedAccessToken } from '../access-tokens.js';
import type { ResourceServerService } from '../resource-servers.js';

export interface ClientCredentialsRequest {
  /** The `scope` parameter, if sent. */
  readonly scope: string | undefined;
  /** Every `resource` parameter (RFC 8707). */
  readonly resources: readonly string[];
  /** What the token is bound to: the request's DPoP key, the client's certificate. */
  readonly confirmation: Confirmation | undefined;
}

/**
 * The client credentials grant (RFC 6749 §4.4): a service acting for itself. The audience
 * is the requested resource (RFC 8707) or the client's first audience, else the issuer;
 * scopes are narrowed to what the client may hold and the audience's API defines.
 */
export class ClientCredentialsGrant {
  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly resourceServers: ResourceServerService,
    private readonly defaultAudience: string,
  ) {}

  async handle(client: ClientRecord, request: ClientCredentialsRequest): Promise<IssuedAccessToken> {
    const audience = this.audience(client, request.resources);
    const api = await this.resourceServers.findByAudience(audience);
    const allowed =
      api === null ? client.scopes : client.scopes.filter((scope) => api.scopes.includes(scope));
    let scopes = allowed;
    if (request.scope !== undefined) {
      const requested = parseScope(request.scope);
      if (requested === null)
        throw new InvalidScope(ErrorCode.PARAM_INVALID, 'The scope parameter is malformed.');
      if (!requested.every((scope) => allowed.includes(scope))) {
        throw new InvalidScope(
          ErrorCode.SCOPE_NOT_ALLOWED,
          'The requested scope exceeds what this client may hold.',
          {
            detail: `requested ${request.scope}; client ${client.id} may hold ${allowed.join(' ')} for ${audience}`,
          },
        );
      }
      scopes = requested;
    }
    return this.accessTokens.issue({
      client,
      subject: client.id,
      audience,
      scopes,
      api,
      confirmation: request.confirmation,
    });
  }

  private audience(client: ClientRecord, resources: readonly string[]): string {
    if (resources.length > 1) {
      throw new InvalidTarget(ErrorCode.TARGET_NOT_ALLOWED, 'Request a token for one resource at a time.');
    }
    const [resource] = resources;
    if (resource === undefined) return client.audiences[0] ?? this.defaultAudience;
    if (!client.audiences.includes(resource)) {
      throw new InvalidTarget(
        ErrorCode.TARGET_NOT_ALLOWED,
        'The requested resource is not allowed for this client.',
        {
          detail: `client ${client.id} requested resource ${resource}`,
        },
      );
    }
    return resource;
  }
}

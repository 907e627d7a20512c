/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): how a client that meets the gateway's
 * 401 finds the authorization server on its own.
 */

/** Where the document is served (RFC 9728 §3). */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly bearer_methods_supported: readonly string[];
}

/**
 * Builds the metadata document of a gateway.
 *
 * @example
 * ```ts
 * protectedResourceMetadata('http://127.0.0.1:8081', 'http://127.0.0.1:8080', [['charges:read']]);
 * // → { resource: 'http://127.0.0.1:8081', authorization_servers: ['http://127.0.0.1:8080'],
 * //     scopes_supported: ['charges:read'], bearer_methods_supported: ['header'] }
 * ```
 */
export function protectedResourceMetadata(
  resource: string,
  issuer: string,
  routeScopes: Iterable<readonly string[]>,
): ProtectedResourceMetadata {
  const scopes = new Set<string>();
  for (const list of routeScopes) for (const scope of list) scopes.add(scope);
  return {
    resource,
    authorization_servers: [issuer],
    scopes_supported: [...scopes],
    // Only the Authorization header: a token in the query or the body is refused.
    bearer_methods_supported: ['header'],
  };
}

/** The URL of the document for a resource identifier that has no path. */
export const protectedResourceMetadataUrl = (resource: string) =>
  `${resource.replace(/\/+$/, '')}${PROTECTED_RESOURCE_METADATA_PATH}`;

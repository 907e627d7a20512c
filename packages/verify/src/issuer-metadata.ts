import { assertSecureUrl } from './secure-url.js';

/** What a verifier needs of the authorization server's metadata (RFC 8414). */
export interface IssuerMetadata {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly introspectionEndpoint: string | undefined;
  readonly revocationFeedEndpoint: string | undefined;
  readonly sigv4SigningKeyEndpoint: string | undefined;
  /** Tessera's own: which `tls_client_auth` client a certificate names. */
  readonly mtlsClientLookupEndpoint: string | undefined;
}

export interface FetchIssuerMetadataOptions {
  readonly allowInsecureHttpIssuer: boolean;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
}

/**
 * Fetches `/.well-known/oauth-authorization-server` for `issuer` (RFC 8414 §3) and checks
 * that it names the same issuer (§3.3) and only secure endpoint URLs.
 *
 * @example const metadata = await fetchIssuerMetadata('https://auth.example.com', { allowInsecureHttpIssuer: false, fetch, timeoutMs: 5000 });
 */
export async function fetchIssuerMetadata(
  issuer: string,
  options: FetchIssuerMetadataOptions,
): Promise<IssuerMetadata> {
  const base = assertSecureUrl(issuer, 'issuer', options.allowInsecureHttpIssuer);
  const path = base.pathname === '/' ? '' : base.pathname.replace(/\/$/, '');
  const url = `${base.origin}/.well-known/oauth-authorization-server${path}`;
  const response = await options.fetch(url, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (!response.ok) throw new Error(`issuer metadata: ${url} answered ${response.status}`);
  const metadata = (await response.json()) as Record<string, unknown>;
  if (metadata.issuer !== issuer) throw new Error('issuer metadata names another issuer');
  const endpoint = (name: string): string | undefined => {
    const value = metadata[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new Error(`issuer metadata: ${name} is not a string`);
    return assertSecureUrl(value, name, options.allowInsecureHttpIssuer).toString();
  };
  const jwksUri = endpoint('jwks_uri');
  if (jwksUri === undefined) throw new Error('issuer metadata has no jwks_uri');
  return {
    issuer,
    jwksUri,
    introspectionEndpoint: endpoint('introspection_endpoint'),
    revocationFeedEndpoint: endpoint('revocation_feed_endpoint'),
    sigv4SigningKeyEndpoint: endpoint('sigv4_signing_key_endpoint'),
    mtlsClientLookupEndpoint: endpoint('mtls_client_lookup_endpoint'),
  };
}

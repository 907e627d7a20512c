import { certificateThumbprint } from '@tessera/core';
import { basicAuthorization } from './client-credentials-header.js';

/** The `tls_client_auth` client a certificate names at the issuer. */
export interface CertificateClient {
  readonly clientId: string;
  readonly scopes: readonly string[];
}

export interface CertificateClientLookupOptions {
  /** The issuer's `mtls_client_lookup_endpoint`. */
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** This resource server's audiences: a client is named only when it may call one of them. */
  readonly audiences: readonly string[];
  readonly fetch: typeof fetch;
  /** Longest an answer is reused, in seconds. */
  readonly cacheSeconds: number;
  readonly timeoutMs: number;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

/** A certificate no client is registered for is asked about again this soon. */
const UNKNOWN_CACHE_SECONDS = 5;
const MAX_ENTRIES = 10_000;

/**
 * Asks the issuer (`POST …/mtls/client`, as this resource server's own client) which
 * `tls_client_auth` client is registered for a certificate's subject with one of this
 * resource server's audiences, and its scopes for them; remembers the answer briefly, by
 * the certificate's thumbprint. Throws when the issuer cannot answer.
 */
export class CertificateClientLookup {
  private readonly cache = new Map<
    string,
    { answer: CertificateClient | null; asked: number; until: number }
  >();

  constructor(private readonly options: CertificateClientLookupOptions) {}

  /** The client, and when the issuer said so (seconds), or null when none is registered. */
  async lookup(der: Uint8Array): Promise<{ client: CertificateClient | null; asked: number }> {
    const key = certificateThumbprint(der);
    const now = this.options.now();
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.until > now) return { client: cached.answer, asked: cached.asked };
    const response = await this.options.fetch(this.options.endpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(this.options.clientId, this.options.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams([
        ['certificate', Buffer.from(der).toString('base64url')],
        ...this.options.audiences.map((audience): [string, string] => ['audience', audience]),
      ]).toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (response.status !== 200) throw new Error(`certificate lookup answered ${response.status}`);
    const body = (await response.json()) as { active?: unknown; client_id?: unknown; scope?: unknown };
    const client =
      body.active === true && typeof body.client_id === 'string'
        ? {
            clientId: body.client_id,
            scopes: typeof body.scope === 'string' && body.scope !== '' ? body.scope.split(' ') : [],
          }
        : null;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    const until = now + (client === null ? UNKNOWN_CACHE_SECONDS : this.options.cacheSeconds);
    this.cache.set(key, { answer: client, asked: now, until });
    return { client, asked: now };
  }

  /** Forgets the answer about a certificate (its client was deleted since). */
  forget(der: Uint8Array): void {
    this.cache.delete(certificateThumbprint(der));
  }
}

import { basicAuthorization } from './client-credentials-header.js';

/** A day-scoped SigV4 signing key, as the issuer hands it to resource servers. */
export interface SigningKeyAnswer {
  readonly signingKey: Uint8Array;
  readonly scopes: readonly string[];
}

export interface SigV4KeyClientOptions {
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  /** Milliseconds. */
  readonly now: () => number;
}

/** A derived key serves its whole day; an unknown credential is asked about again this soon. */
const UNKNOWN_CACHE_MS = 5000;
const MAX_ENTRIES = 100_000;

/**
 * Fetches the derived signing key of an access key for one day, region and service from
 * the issuer (`POST …/sigv4/signing-key`), never the secret, and keeps it for that day.
 */
export class SigV4KeyClient {
  private readonly cache = new Map<string, { answer: SigningKeyAnswer | null; until: number }>();

  constructor(private readonly options: SigV4KeyClientOptions) {}

  async lookup(
    accessKeyId: string,
    date: string,
    region: string,
    service: string,
  ): Promise<SigningKeyAnswer | null> {
    const key = `${accessKeyId}/${date}/${region}/${service}`;
    const now = this.options.now();
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.until > now) return cached.answer;
    const response = await this.options.fetch(this.options.endpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(this.options.clientId, this.options.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ access_key_id: accessKeyId, date, region, service }).toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (response.status !== 200) throw new Error(`signing-key lookup answered ${response.status}`);
    const body = (await response.json()) as { active?: unknown; signing_key?: unknown; scope?: unknown };
    const answer =
      body.active === true && typeof body.signing_key === 'string'
        ? {
            signingKey: Buffer.from(body.signing_key, 'base64url'),
            scopes: typeof body.scope === 'string' && body.scope !== '' ? body.scope.split(' ') : [],
          }
        : null;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(key, { answer, until: answer === null ? now + UNKNOWN_CACHE_MS : endOfDayAfter(date) });
    return answer;
  }
}

/** The end of the day after `date` (YYYYMMDD, UTC): a key for a day is asked for at most that late. */
function endOfDayAfter(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)) + 2);
}

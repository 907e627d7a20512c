import { ErrorCode, fail, InvalidToken, ok, type Result, TemporarilyUnavailable } from '@tessera/core';
import { basicAuthorization } from './client-credentials-header.js';

/** What an active opaque token was issued as, from RFC 7662 introspection. */
export interface IntrospectedToken {
  readonly subject: string;
  readonly clientId: string | undefined;
  readonly tokenId: string | undefined;
  readonly scopes: readonly string[];
  readonly issuedAt: number | undefined;
  /** Undefined for an API key that never expires. */
  readonly expiresAt: number | undefined;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface IntrospectionClientOptions {
  /** What is asked about: OAuth access tokens, or Tessera API keys. */
  readonly kind: 'access_token' | 'api_key';
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly fetch: typeof fetch;
  /** Longest an answer is reused; never past the token's `exp` (default 30 s). */
  readonly cacheSeconds: number;
  readonly timeoutMs: number;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

type Answer = Result<IntrospectedToken, InvalidToken>;

const INACTIVE = () => fail(new InvalidToken(ErrorCode.TOKEN_INVALID, 'The access token is not active.'));
/** An inactive answer is reused this long, so a storm of one bad token costs one request. */
const INACTIVE_CACHE_SECONDS = 5;
const MAX_ENTRIES = 10_000;

/**
 * Asks the authorization server about opaque tokens (RFC 7662), as the resource server's
 * own client, and remembers answers briefly: an active one never past its `exp`. The caller
 * still checks the revocation list on every use, so a cached answer is revocation-aware.
 */
export class IntrospectionClient {
  private readonly cache = new Map<string, { answer: Answer; until: number }>();
  private readonly inFlight = new Map<
    string,
    Promise<Result<IntrospectedToken, InvalidToken | TemporarilyUnavailable>>
  >();

  constructor(private readonly options: IntrospectionClientOptions) {}

  introspect(token: string): Promise<Result<IntrospectedToken, InvalidToken | TemporarilyUnavailable>> {
    const now = this.options.now();
    const cached = this.cache.get(token);
    if (cached !== undefined && cached.until > now) return Promise.resolve(cached.answer);
    const pending = this.inFlight.get(token);
    if (pending !== undefined) return pending;
    const request = this.ask(token).finally(() => this.inFlight.delete(token));
    this.inFlight.set(token, request);
    return request;
  }

  private async ask(
    token: string,
  ): Promise<Result<IntrospectedToken, InvalidToken | TemporarilyUnavailable>> {
    let body: Record<string, unknown>;
    try {
      const response = await this.options.fetch(this.options.endpoint, {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(this.options.clientId, this.options.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: this.options.kind }).toString(),
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (response.status !== 200) throw new Error(`introspection answered ${response.status}`);
      body = (await response.json()) as Record<string, unknown>;
      if (typeof body !== 'object' || body === null || typeof body.active !== 'boolean') {
        throw new Error('introspection answered without an active member');
      }
    } catch {
      return fail(
        new TemporarilyUnavailable(ErrorCode.UNAVAILABLE, 'The token cannot be checked right now.'),
      );
    }
    const answer = this.judge(body);
    const now = this.options.now();
    const until = answer.ok
      ? Math.min(answer.value.expiresAt ?? Number.POSITIVE_INFINITY, now + this.options.cacheSeconds)
      : now + INACTIVE_CACHE_SECONDS;
    if (this.cache.size >= MAX_ENTRIES) this.evictOldest();
    this.cache.set(token, { answer, until });
    return answer;
  }

  /**
   * An active access token counts only if it is for us: our issuer, our audience, not
   * expired. An API key has no audience; it counts when the answer says it is one.
   */
  private judge(body: Record<string, unknown>): Answer {
    if (body.active !== true) return INACTIVE();
    return this.options.kind === 'api_key' ? this.judgeApiKey(body) : this.judgeAccessToken(body);
  }

  private judgeApiKey(body: Record<string, unknown>): Answer {
    const { sub, scope, iat, exp, token_type } = body;
    if (token_type !== 'api_key' || typeof sub !== 'string') return INACTIVE();
    if (exp !== undefined && (typeof exp !== 'number' || exp <= this.options.now())) return INACTIVE();
    return ok({
      subject: sub,
      clientId: undefined,
      tokenId: undefined,
      scopes: typeof scope === 'string' && scope !== '' ? scope.split(' ') : [],
      issuedAt: typeof iat === 'number' ? iat : undefined,
      expiresAt: exp as number | undefined,
      claims: body,
    });
  }

  private judgeAccessToken(body: Record<string, unknown>): Answer {
    const { sub, client_id, jti, scope, iat, exp, iss, aud } = body;
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (typeof exp !== 'number' || exp <= this.options.now()) return INACTIVE();
    if (iss !== undefined && iss !== this.options.issuer) return INACTIVE();
    if (!this.options.audiences.some((audience) => audiences.includes(audience))) return INACTIVE();
    if (typeof sub !== 'string' || (client_id !== undefined && typeof client_id !== 'string'))
      return INACTIVE();
    return ok({
      subject: sub,
      clientId: client_id as string | undefined,
      tokenId: typeof jti === 'string' ? jti : undefined,
      scopes: typeof scope === 'string' && scope !== '' ? scope.split(' ') : [],
      issuedAt: typeof iat === 'number' ? iat : undefined,
      expiresAt: exp,
      claims: body,
    });
  }

  private evictOldest(): void {
    const now = this.options.now();
    for (const [token, entry] of this.cache) if (entry.until <= now) this.cache.delete(token);
    if (this.cache.size < MAX_ENTRIES) return;
    const oldest = this.cache.keys().next();
    if (!oldest.done) this.cache.delete(oldest.value);
  }
}

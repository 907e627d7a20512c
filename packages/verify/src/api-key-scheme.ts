import {
  ErrorCode,
  InvalidRequest,
  InvalidToken,
  isWellFormedApiKey,
  type RevocationList,
  TooManyRequests,
} from '@tessera/core';
import { authorizationScheme, bearerIsApiKey, headerCount, headerValue } from './bearer-token.js';
import type { IntrospectionClient } from './introspection-client.js';
import { RateLimiter } from './rate-limiter.js';
import type { Scheme, VerifyRequest } from './verification.js';

const API_KEY_HEADER = 'x-api-key';

/** Whether the request presents a Tessera API key: `X-API-Key`, or a Bearer value shaped like one. */
export function presentsApiKey(request: VerifyRequest): boolean {
  return headerCount(request, API_KEY_HEADER) > 0 || bearerIsApiKey(request);
}

/**
 * API keys, in `X-API-Key` or `Authorization: Bearer`: the checksum is checked here, before
 * anything is sent; the key is then looked up at the issuer (cached briefly) and checked
 * against the revocation list, where a revoked key's id appears within about a second. A
 * key with a rate limit gets 429 once it has used it up (counted in this process).
 */
export function createApiKeyScheme(options: {
  readonly lookup: IntrospectionClient;
  readonly revocations: RevocationList;
  readonly now: () => number;
}): Scheme {
  const limiter = new RateLimiter(() => options.now() * 1000);
  const refused = (description: string) => ({
    ok: false as const,
    error: new InvalidToken(ErrorCode.TOKEN_INVALID, description),
  });
  return {
    name: 'apikey',
    presents: presentsApiKey,
    async verify(request: VerifyRequest) {
      const fromHeader = headerValue(request, API_KEY_HEADER);
      const fromBearer =
        authorizationScheme(request) === 'bearer' ? headerValue(request, 'authorization') : undefined;
      if (
        headerCount(request, API_KEY_HEADER) > 1 ||
        (fromHeader !== undefined && fromBearer !== undefined)
      ) {
        return {
          ok: false as const,
          error: new InvalidRequest(ErrorCode.CREDENTIALS_AMBIGUOUS, 'Present one API key, in one place.'),
        };
      }
      const key = (fromHeader ?? fromBearer?.replace(/^\s*bearer\s+/i, '') ?? '').trim();
      if (!isWellFormedApiKey(key)) return refused('The API key is malformed.');
      const result = await options.lookup.introspect(key);
      if (!result.ok) return result;
      const { subject, scopes, issuedAt, claims } = result.value;
      const revocable = { jti: '', clientId: '', subject, issuedAt: issuedAt ?? 0 };
      if (options.revocations.isRevoked(revocable, options.now())) return refused('The API key was revoked.');
      const { rate_limit: perMinute } = claims;
      const wait = typeof perMinute === 'number' && perMinute > 0 ? limiter.take(subject, perMinute) : 0;
      if (wait > 0) {
        return {
          ok: false as const,
          error: new TooManyRequests(
            ErrorCode.RATE_LIMITED,
            'This API key has used up its request rate.',
            wait,
          ),
        };
      }
      return {
        ok: true as const,
        identity: {
          subject,
          clientId: undefined,
          scopes,
          scheme: 'apikey' as const,
          claims,
          confirmation: undefined,
        },
      };
    },
  };
}

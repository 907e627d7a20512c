import {
  ErrorCode,
  InvalidRequest,
  InvalidToken,
  type RevocationList,
  verifySigV4Request,
} from '@tessera/core';
import { headerValue } from './bearer-token.js';
import { ReplayCache } from './replay-cache.js';
import type { SigV4KeyClient } from './sigv4-key-client.js';
import type { Scheme, VerifyRequest } from './verification.js';

export interface SigV4SchemeOptions {
  readonly region: string;
  readonly service: string;
  readonly keys: SigV4KeyClient;
  readonly revocations: RevocationList;
  /** Milliseconds. */
  readonly now: () => number;
}

/**
 * AWS Signature Version 4 (`AWS4-HMAC-SHA256`), so any SigV4 client works unchanged:
 * checked with the day-scoped key the issuer derives (the secret never leaves it), the
 * body's hash included, and an exact replay refused while its signature is still fresh.
 * The replay cache is this process's own.
 */
export function createSigV4Scheme(options: SigV4SchemeOptions): Scheme {
  const replays = new ReplayCache(options.now);
  const seen = (signature: string, untilMs: number) => replays.seen(signature, untilMs);
  return {
    name: 'sigv4',
    presents: (request) => /^\s*AWS4-HMAC-SHA256(\s|$)/.test(headerValue(request, 'authorization') ?? ''),
    async verify(request: VerifyRequest) {
      if (request.body === undefined) {
        return {
          ok: false as const,
          error: new InvalidRequest(
            ErrorCode.REQUEST_MALFORMED,
            'A signed request must be checked with its body.',
          ),
        };
      }
      const result = await verifySigV4Request(
        {
          method: request.method,
          target: request.url,
          rawHeaders: rawHeadersOf(request),
          body: request.body,
        },
        {
          region: options.region,
          service: options.service,
          now: options.now(),
          seen,
          signingKeyFor: (accessKeyId, date, region, service) =>
            options.keys.lookup(accessKeyId, date, region, service),
        },
      );
      if (!result.ok) return { ok: false as const, error: result.error };
      const { accessKeyId, key, signedHeaders } = result.value;
      const revocable = { jti: '', clientId: '', subject: accessKeyId, issuedAt: 0 };
      if (options.revocations.isRevoked(revocable, Math.floor(options.now() / 1000))) {
        return {
          ok: false as const,
          error: new InvalidToken(ErrorCode.TOKEN_REVOKED, 'The signing credential was revoked.'),
        };
      }
      return {
        ok: true as const,
        identity: {
          subject: accessKeyId,
          clientId: undefined,
          scopes: key.scopes,
          scheme: 'sigv4' as const,
          claims: { access_key_id: accessKeyId, signed_headers: signedHeaders },
          confirmation: undefined,
        },
      };
    },
  };
}

/** Node's raw header list, or one built from the parsed headers when a framework hides it. */
function rawHeadersOf(request: VerifyRequest): readonly string[] {
  if (request.rawHeaders !== undefined) return request.rawHeaders;
  return Object.entries(request.headers).flatMap(([name, value]) =>
    value === undefined ? [] : (Array.isArray(value) ? value : [value]).flatMap((one) => [name, String(one)]),
  );
}

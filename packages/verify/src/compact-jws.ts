/**
 * The checks a compact JWS (RFC 7515 §7.1) passes before any key lookup or cryptography:
 * a length cap, the exact three-segment shape, canonical base64url in every segment, and
 * a well-formed protected header.
 */
import { decodeBase64Url } from '@tessera/core';
import { type JwsHeader, parseJwsHeader } from './jws-header.js';
import { Rejection } from './rejection.js';

/** Default cap on the token length, checked before anything is decoded. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

// The payload may be empty in a JWS (never in a JWT); the header and signature may not.
// The classes exclude '.', so this cannot backtrack.
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

export interface CompactJws {
  readonly header: JwsHeader;
  /** The ASCII bytes of `header.payload`, exactly as received: what the signature covers. */
  readonly signingInput: Buffer;
  readonly payload: Buffer;
  readonly signature: Buffer;
}

export type CompactJwsResult =
  | { readonly ok: true; readonly value: CompactJws }
  | { readonly ok: false; readonly reason: Rejection };

export interface CompactJwsParserOptions {
  /** Longest token accepted, in characters (default 8192). */
  maxLength?: number | undefined;
  /** Parsed headers remembered by segment text (default 0: none). Issuers send few distinct headers. */
  headerCacheSize?: number | undefined;
}

/**
 * Builds a parser for compact JWS with its own limits and header cache.
 *
 * @example
 * ```ts
 * const parse = createCompactJwsParser({ maxLength: 4096, headerCacheSize: 64 });
 * const result = parse(token);
 * if (!result.ok) log.info(result.reason);
 * ```
 */
export function createCompactJwsParser(
  options: CompactJwsParserOptions = {},
): (token: unknown) => CompactJwsResult {
  const maxLength = options.maxLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const cacheSize = options.headerCacheSize ?? 0;
  if (!Number.isSafeInteger(maxLength) || maxLength < 16)
    throw new TypeError('maxLength must be an integer >= 16');
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0)
    throw new TypeError('headerCacheSize must be an integer >= 0');
  const headers = new Map<string, JwsHeader>();
  // Most tokens share their issuer's one header: comparing against the last one seen is
  // cheaper than hashing a fresh slice for the map.
  let lastSegment = '';
  let lastHeader: JwsHeader | undefined;

  return (token) => {
    if (typeof token !== 'string') return { ok: false, reason: Rejection.NOT_A_STRING };
    if (token.length > maxLength) return { ok: false, reason: Rejection.TOO_LONG };
    // SHAPE is enforced segment by segment: the dots here, the alphabet by the strict
    // decoder, so each character is scanned once (and a cached header not at all).
    const firstDot = token.indexOf('.');
    const secondDot = firstDot < 1 ? -1 : token.indexOf('.', firstDot + 1);
    if (secondDot < 0 || secondDot === token.length - 1 || token.includes('.', secondDot + 1)) {
      return { ok: false, reason: Rejection.SHAPE };
    }
    let header =
      lastHeader !== undefined && firstDot === lastSegment.length && token.startsWith(lastSegment)
        ? lastHeader
        : undefined;
    const headerSegment = header === undefined ? token.slice(0, firstDot) : lastSegment;
    header ??= headers.get(headerSegment);
    if (header === undefined) {
      const parsed = parseJwsHeader(headerSegment);
      if (!parsed.ok) return parsed.reason === Rejection.ENCODING ? undecodable(token) : parsed;
      header = parsed.header;
      if (cacheSize > 0) {
        // Flooding with distinct headers only costs the flooder a cache miss.
        if (headers.size >= cacheSize) headers.clear();
        headers.set(headerSegment, header);
      }
    }
    if (cacheSize > 0) {
      lastSegment = headerSegment;
      lastHeader = header;
    }
    const payload = decodeBase64Url(token.slice(firstDot + 1, secondDot));
    const signature = decodeBase64Url(token.slice(secondDot + 1));
    if (payload === null || signature === null) return undecodable(token);
    return {
      ok: true,
      value: { header, signingInput: Buffer.from(token.slice(0, secondDot), 'latin1'), payload, signature },
    };
  };
}

/** Tells a character outside the alphabet (a shape error) from a non-canonical tail. */
function undecodable(token: string): CompactJwsResult {
  return { ok: false, reason: SHAPE.test(token) ? Rejection.ENCODING : Rejection.SHAPE };
}

const parseWithDefaults = createCompactJwsParser();

/**
 * Parses a compact JWS with the default limits and no header cache.
 *
 * @example
 * ```ts
 * const result = parseCompactJws(token);
 * if (result.ok) console.log(result.value.header.alg);
 * ```
 */
export function parseCompactJws(token: unknown): CompactJwsResult {
  return parseWithDefaults(token);
}

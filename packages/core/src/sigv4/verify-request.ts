/**
 * Verifying a request signed with AWS Signature Version 4 (`AWS4-HMAC-SHA256` in the
 * `Authorization` header), given only the day-scoped derived key of the credential.
 */
import { timingSafeEqual } from 'node:crypto';
import { ok, type Result } from '../errors.js';
import { parseAmzDate } from './amz-date.js';
import { parseSigV4Authorization } from './authorization.js';
import {
  canonicalHeaderValue,
  canonicalRequest,
  credentialScope,
  sha256Hex,
  stringToSign,
} from './canonical-request.js';
import {
  canonicalPath,
  canonicalQuery,
  canonicalQueryPairs,
  pathIsItsOwnCanonicalForm,
  splitRequestTarget,
} from './canonical-target.js';
import { assertScopePart, signStringToSign } from './signing-key.js';
import { rejectSigV4, type SigV4Rejected } from './sigv4-rejected.js';

/** Five minutes either way, as AWS allows and Tessera's contract states. */
export const SIGV4_CLOCK_TOLERANCE_SECONDS = 300;
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

const MAX_CLOCK_TOLERANCE_SECONDS = 900;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// Visible ASCII, space and tab: a byte above 0x7e reaches us as Latin-1 from Node but was
// signed as whatever the client held, so it cannot be checked unambiguously.
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
const PRESIGN_PARAMETERS = new Set(['x-amz-signature', 'x-amz-credential', 'x-amz-algorithm']);
// Sent twice, one of these could be read one way by us and another way downstream.
const SINGLE_HEADERS = ['host', 'x-amz-date', 'x-amz-content-sha256'] as const;

/** A request as a Node `http` server receives it. */
export interface SigV4Request {
  /** The method, as received (`req.method`). */
  readonly method: string;
  /** The request target exactly as received: path and query (`req.url`). */
  readonly target: string;
  /**
   * Header names and values alternating, repeats kept (`req.rawHeaders`). From a fetch
   * `Headers`, pass `[...headers].flat()`; repeats are then already merged.
   */
  readonly rawHeaders: readonly string[];
  /**
   * The body as received, or its SHA-256 in lower-case hex computed by the caller over
   * the bytes received (never the `X-Amz-Content-Sha256` header: that is what is checked).
   */
  readonly body: Uint8Array | { readonly sha256Hex: string };
}

/** A derived signing key (`kSigning`, 32 bytes), bare or with whatever the caller keeps beside it. */
export type SigV4SigningKey = Uint8Array | { readonly signingKey: Uint8Array };

/**
 * Finds the derived signing key of an access key for one day (`YYYYMMDD`), region and
 * service; `undefined` or `null` when the key is unknown or not active. Throwing is for
 * infrastructure faults and propagates.
 */
export type SigV4SigningKeyLookup<K extends SigV4SigningKey> = (
  accessKeyId: string,
  date: string,
  region: string,
  service: string,
) => K | null | undefined | Promise<K | null | undefined>;

/**
 * Records a verified signature until `untilMs` (after which its `X-Amz-Date` is refused
 * anyway) and tells whether it was already recorded. Atomic check-and-set, or two copies
 * of one request racing each other could both pass.
 */
export type SigV4ReplayCheck = (signature: string, untilMs: number) => boolean | Promise<boolean>;

export interface VerifySigV4Options<K extends SigV4SigningKey = Uint8Array> {
  /** The region this service answers for: the credential scope must name it. */
  readonly region: string;
  /** The service name: the credential scope must name it. */
  readonly service: string;
  readonly signingKeyFor: SigV4SigningKeyLookup<K>;
  readonly seen: SigV4ReplayCheck;
  /** The current time in milliseconds; `Date.now()` by default. */
  readonly now?: number;
  /** How far `X-Amz-Date` may be from now, either way: 300 s by default, at most 900. */
  readonly clockToleranceSeconds?: number;
  /** Accept `X-Amz-Content-Sha256: UNSIGNED-PAYLOAD`, leaving the body unprotected. */
  readonly allowUnsignedPayload?: boolean;
  /**
   * Also accept signatures over the path and query exactly as sent, unsorted and not
   * encoded again: what curl 7.x (7.88.1 in Debian 12) signs. On by default, since the
   * contract promises `curl --aws-sigv4` works; see `docs/sigv4.md` for what it costs.
   */
  readonly acceptCurl7Signatures?: boolean;
}

/** A request whose signature checked out. */
export interface VerifiedSigV4Request<K extends SigV4SigningKey = Uint8Array> {
  readonly accessKeyId: string;
  readonly signedHeaders: readonly string[];
  /** The credential scope's day, `YYYYMMDD`. */
  readonly date: string;
  /** `X-Amz-Date`, in milliseconds since the epoch. */
  readonly signedAt: number;
  /** The signature, 64 lower-case hex digits. */
  readonly signature: string;
  /** What `signingKeyFor` returned. */
  readonly key: K;
  /** `curl7` when the signature covered the target as sent (see `acceptCurl7Signatures`). */
  readonly canonicalization: 'sigv4' | 'curl7';
}

/**
 * Verifies a SigV4-signed request: the `Authorization` header, the credential scope
 * against the expected region and service, `X-Amz-Date` within the clock tolerance, the
 * signed headers (`host` and `x-amz-date` always, `x-amz-content-sha256` when sent), the
 * body against its hash, the signature in constant time, and finally that the same
 * signature was not seen before. A refusal is a `SigV4Rejected` result; exceptions mean
 * misuse (bad options) or a failing `signingKeyFor` or `seen`.
 *
 * @example
 * ```ts
 * const result = await verifySigV4Request(
 *   { method: req.method, target: req.url, rawHeaders: req.rawHeaders, body },
 *   {
 *     region: 'local',
 *     service: 'billing',
 *     signingKeyFor: (id, date, region, service) => keys.derivedKey(id, date, region, service),
 *     seen: (signature, untilMs) => replayCache.checkAndSet(signature, untilMs),
 *   },
 * );
 * if (!result.ok) return deny(result.error.status, result.error.description);
 * forward({ subject: result.value.accessKeyId });
 * ```
 */
export async function verifySigV4Request<K extends SigV4SigningKey = Uint8Array>(
  request: SigV4Request,
  options: VerifySigV4Options<K>,
): Promise<Result<VerifiedSigV4Request<K>, SigV4Rejected>> {
  const settings = checkOptions(options);
  checkRequest(request);
  const headers = collectHeaders(request.rawHeaders);

  const authorizations = headers.get('authorization') ?? [];
  if (authorizations.length > 1) return rejectSigV4('header_repeated', 'more than one Authorization header');
  for (const name of SINGLE_HEADERS) {
    if ((headers.get(name)?.length ?? 0) > 1) {
      return rejectSigV4('header_repeated', `more than one ${name} header`);
    }
  }

  const target = splitRequestTarget(request.target);
  if (target === null) return rejectSigV4('target_malformed');
  const queryPairs = canonicalQueryPairs(target.query);
  if (queryPairs.some(([name]) => PRESIGN_PARAMETERS.has(name.toLowerCase()))) {
    return rejectSigV4('signature_in_query');
  }

  const [authorizationValue] = authorizations;
  if (authorizationValue === undefined) return rejectSigV4('authorization_missing');
  const authorization = parseSigV4Authorization(authorizationValue);
  if (authorization === null) return rejectSigV4('authorization_malformed');
  if (authorization.region !== settings.region || authorization.service !== settings.service) {
    return rejectSigV4('scope_mismatch', 'the credential scope names another region or service');
  }

  const amzDateHeader = headers.get('x-amz-date')?.[0];
  const amzDate = amzDateHeader === undefined ? '' : canonicalHeaderValue(amzDateHeader);
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === null) return rejectSigV4('date_malformed');
  if (authorization.date !== amzDate.slice(0, 8)) {
    return rejectSigV4('scope_mismatch', 'the credential scope names another day than X-Amz-Date');
  }
  const skew = settings.now - signedAt;
  if (skew > settings.toleranceMs) {
    return rejectSigV4('date_too_old', `X-Amz-Date is ${Math.round(skew / 1000)} s old`);
  }
  if (-skew > settings.toleranceMs) {
    return rejectSigV4('date_too_new', `X-Amz-Date is ${Math.round(-skew / 1000)} s ahead`);
  }

  const signedHeaders = authorization.signedHeaders;
  const signedHeadersProblem = checkSignedHeaders(signedHeaders, headers);
  if (signedHeadersProblem !== null) return rejectSigV4('signed_headers_invalid', signedHeadersProblem);
  const canonicalHeaders: Array<readonly [string, string]> = [];
  for (const name of signedHeaders) {
    const values = headers.get(name);
    if (values === undefined) {
      return rejectSigV4('signed_header_missing', `signed header ${name} is not in the request`);
    }
    if (!values.every((value) => HEADER_VALUE.test(value))) {
      return rejectSigV4('signed_headers_invalid', `signed header ${name} has a byte outside visible ASCII`);
    }
    // Repeated headers are signed as one, their values joined by commas in the order sent.
    canonicalHeaders.push([name, values.map(canonicalHeaderValue).join(',')]);
  }

  const payload = payloadHash(
    request.body,
    headers.get('x-amz-content-sha256')?.[0],
    settings.allowUnsignedPayload,
  );
  if (!payload.ok) return payload;

  const found = await options.signingKeyFor(
    authorization.accessKeyId,
    authorization.date,
    authorization.region,
    authorization.service,
  );
  if (found === undefined || found === null) {
    return rejectSigV4('signature_mismatch', 'unknown or inactive access key');
  }
  const signingKey = keyBytes(found);

  const scope = credentialScope(authorization.date, authorization.region, authorization.service);
  const presented = Buffer.from(authorization.signature, 'hex');
  let canonicalization: VerifiedSigV4Request['canonicalization'] | null = null;
  for (const candidate of candidates(target.path, target.query, settings.acceptCurl7Signatures)) {
    const canonical = canonicalRequest({
      method: request.method,
      canonicalPath: candidate.path,
      canonicalQuery: candidate.query,
      headers: canonicalHeaders,
      payloadHash: payload.value,
    });
    const expected = Buffer.from(
      signStringToSign(signingKey, stringToSign(amzDate, scope, canonical)),
      'hex',
    );
    if (timingSafeEqual(expected, presented)) {
      canonicalization = candidate.kind;
      break;
    }
  }
  if (canonicalization === null) return rejectSigV4('signature_mismatch', 'signature does not match');

  if (await options.seen(authorization.signature, signedAt + settings.toleranceMs)) {
    return rejectSigV4('replayed', 'signature already used');
  }
  return ok({
    accessKeyId: authorization.accessKeyId,
    signedHeaders,
    date: authorization.date,
    signedAt,
    signature: authorization.signature,
    key: found,
    canonicalization,
  });
}

interface Candidate {
  readonly kind: 'sigv4' | 'curl7';
  readonly path: string;
  readonly query: string;
}

// The canonical forms a signature may cover: the SigV4 one first; then, for curl 7.x,
// which signs the path and the query exactly as typed, the target as sent in place of
// either part. A raw path is tried only when no other accepted path can have it as its
// canonical URI, so that one signature never covers two different paths.
function candidates(path: string, query: string | null, acceptCurl7: boolean): Candidate[] {
  const sigv4Path = canonicalPath(path);
  const sigv4Query = canonicalQuery(query);
  const list: Candidate[] = [{ kind: 'sigv4', path: sigv4Path, query: sigv4Query }];
  if (!acceptCurl7) return list;
  const paths = pathIsItsOwnCanonicalForm(path) && path !== sigv4Path ? [sigv4Path, path] : [sigv4Path];
  const queries = query !== null && query !== sigv4Query ? [sigv4Query, query] : [sigv4Query];
  for (const candidatePath of paths) {
    for (const candidateQuery of queries) {
      if (candidatePath === sigv4Path && candidateQuery === sigv4Query) continue;
      list.push({ kind: 'curl7', path: candidatePath, query: candidateQuery });
    }
  }
  return list;
}

function checkSignedHeaders(signedHeaders: readonly string[], headers: Map<string, string[]>): string | null {
  for (let index = 1; index < signedHeaders.length; index++) {
    if ((signedHeaders[index - 1] ?? '') >= (signedHeaders[index] ?? '')) {
      return 'SignedHeaders is not sorted and unique';
    }
  }
  if (!signedHeaders.includes('host')) return 'SignedHeaders lacks host';
  if (!signedHeaders.includes('x-amz-date')) return 'SignedHeaders lacks x-amz-date';
  if (headers.has('x-amz-content-sha256') && !signedHeaders.includes('x-amz-content-sha256')) {
    return 'SignedHeaders lacks x-amz-content-sha256';
  }
  if (signedHeaders.includes('authorization')) return 'SignedHeaders names authorization';
  return null;
}

function payloadHash(
  body: SigV4Request['body'],
  announced: string | undefined,
  allowUnsigned: boolean,
): Result<string, SigV4Rejected> {
  const actual = body instanceof Uint8Array ? sha256Hex(body) : body.sha256Hex;
  if (announced === undefined) return ok(actual);
  const value = canonicalHeaderValue(announced);
  if (value === UNSIGNED_PAYLOAD) return allowUnsigned ? ok(value) : rejectSigV4('payload_unsigned');
  if (!SHA256_HEX.test(value)) return rejectSigV4('payload_hash_malformed');
  if (value !== actual) return rejectSigV4('payload_hash_mismatch');
  return ok(value);
}

function collectHeaders(rawHeaders: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] ?? '').toLowerCase();
    const value = rawHeaders[index + 1] ?? '';
    const values = headers.get(name);
    if (values === undefined) headers.set(name, [value]);
    else values.push(value);
  }
  return headers;
}

function keyBytes(found: SigV4SigningKey): Uint8Array {
  const key = found instanceof Uint8Array ? found : found.signingKey;
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new TypeError('signingKeyFor must return the 32-byte derived signing key');
  }
  return key;
}

function checkOptions<K extends SigV4SigningKey>(options: VerifySigV4Options<K>) {
  assertScopePart(options.region, 'region');
  assertScopePart(options.service, 'service');
  if (typeof options.signingKeyFor !== 'function') throw new TypeError('signingKeyFor must be a function');
  if (typeof options.seen !== 'function') throw new TypeError('seen must be a function (the replay check)');
  const now = options.now ?? Date.now();
  if (!Number.isFinite(now)) throw new TypeError('now must be a finite number of milliseconds');
  const tolerance = options.clockToleranceSeconds ?? SIGV4_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isInteger(tolerance) || tolerance < 1 || tolerance > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new RangeError(`clockToleranceSeconds must be an integer from 1 to ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  return {
    region: options.region,
    service: options.service,
    now,
    toleranceMs: tolerance * 1000,
    allowUnsignedPayload: options.allowUnsignedPayload === true,
    acceptCurl7Signatures: options.acceptCurl7Signatures !== false,
  };
}

function checkRequest(request: SigV4Request): void {
  if (typeof request.method !== 'string' || request.method === '') {
    throw new TypeError('method must be a string');
  }
  if (typeof request.target !== 'string') throw new TypeError('target must be the request target string');
  const { rawHeaders, body } = request;
  if (
    !Array.isArray(rawHeaders) ||
    rawHeaders.length % 2 !== 0 ||
    rawHeaders.some((item) => typeof item !== 'string')
  ) {
    throw new TypeError('rawHeaders must alternate header names and values, as Node gives them');
  }
  if (
    !(body instanceof Uint8Array) &&
    !(typeof body?.sha256Hex === 'string' && SHA256_HEX.test(body.sha256Hex))
  ) {
    throw new TypeError('body must be the received bytes or { sha256Hex } of them');
  }
}

/**
 * The canonical URI and canonical query string of Signature Version 4, computed from the
 * request target exactly as it travels on the wire (`/path?query`, what Node calls
 * `req.url`), for services other than S3.
 *
 * Path: each segment of the wire path is URI-encoded once more, so `%` becomes `%25`
 * ("double encoding"): `/a%20b` signs as `/a%2520b`. That is what `@smithy/signature-v4`,
 * `aws4` and recent curl releases do when handed the path they send. Signers also
 * normalise the path (`//` → `/`, `.` and `..` removed) before encoding it; rather than
 * repeat that, a wire path that normalisation would change is refused, so that one
 * signature can never stand for two spellings of a path that a router downstream might
 * resolve differently.
 *
 * Query: split on `&`, each name and value percent-decoded (`+` is a space), re-encoded
 * with RFC 3986 (everything but `A-Z a-z 0-9 - . _ ~` as `%XX`, upper-case hex), sorted by
 * encoded name, then by encoded value; a name without `=` has an empty value.
 */

/** Longest request target accepted: Node's whole header block is 16 KiB. */
export const MAX_REQUEST_TARGET_LENGTH = 16384;

/** A request target split at its first `?`, both parts exactly as received. */
export interface RequestTarget {
  /** The path, starting with `/`. */
  readonly path: string;
  /** The query without its `?`; `null` when the target has no `?` at all. */
  readonly query: string | null;
}

// Origin-form targets only (RFC 9112 §3.2.1), visible ASCII: a client percent-encodes
// everything else, and a raw byte above 0x7e could be read as Latin-1 or UTF-8 by
// different layers, so it cannot be signed unambiguously.
const TARGET = /^\/[\x21-\x22\x24-\x7e]*$/;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;
// Bytes that may stand raw in a path we accept: an escape of one of them has a raw twin.
const RAW_PATH_BYTE = /[\x21-\x22\x24-\x2e\x30-\x3e\x40-\x7e]/;

/**
 * Splits a request target into path and query, or returns `null` when it is not one that
 * can be signed unambiguously: not origin-form, not visible ASCII, a fragment, a `%` not
 * followed by two hex digits, an empty path segment (`//`) or a `.` or `..` segment.
 * Never throws.
 *
 * @example
 * ```ts
 * splitRequestTarget('/v1/charges?limit=10'); // { path: '/v1/charges', query: 'limit=10' }
 * splitRequestTarget('/v1/../admin');          // null
 * ```
 */
export function splitRequestTarget(target: unknown): RequestTarget | null {
  if (typeof target !== 'string' || target.length > MAX_REQUEST_TARGET_LENGTH || !TARGET.test(target)) {
    return null;
  }
  if (BAD_ESCAPE.test(target)) return null;
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  const query = mark === -1 ? null : target.slice(mark + 1);
  const segments = path.split('/');
  for (let index = 1; index < segments.length; index++) {
    const segment = segments[index];
    if (segment === '.' || segment === '..') return null;
    if (segment === '' && index < segments.length - 1) return null;
  }
  return { path, query };
}

/**
 * The canonical URI of a path that {@link splitRequestTarget} accepted: every byte but the
 * unreserved ones and `/` percent-encoded, the `%` of existing escapes included.
 *
 * @example
 * ```ts
 * canonicalPath('/documents and settings/'); // '/documents%20and%20settings/'
 * canonicalPath('/a%20b/c%2Fd');              // '/a%2520b/c%252Fd'
 * ```
 */
export function canonicalPath(path: string): string {
  let out = '';
  for (const char of path) out += char === '/' || UNRESERVED.test(char) ? char : escapeBytes(char);
  return out;
}

/**
 * Whether a wire path may also be tried as its own canonical URI, the way curl 7.x signs
 * (`acceptCurl7Signatures` in `verify-request.ts`). Only when none of its
 * escapes has a raw twin we would accept: otherwise `/a%2520b`, signed by curl as is,
 * would equal the canonical URI of `/a%20b`, and one signature would cover both paths.
 *
 * @example
 * ```ts
 * pathIsItsOwnCanonicalForm('/files/a%20b'); // true: a raw space is never accepted
 * pathIsItsOwnCanonicalForm('/files/a%2520b'); // false: '%25' is the escape of '%'
 * ```
 */
export function pathIsItsOwnCanonicalForm(path: string): boolean {
  for (const match of path.matchAll(/%([0-9A-Fa-f]{2})/g)) {
    const byte = String.fromCharCode(Number.parseInt(match[1] ?? '', 16));
    if (RAW_PATH_BYTE.test(byte)) return false;
  }
  return true;
}

/**
 * The name-value pairs of a query, each part decoded and re-encoded the SigV4 way, sorted
 * by name, then by value. Empty components (`a=1&&b=2`) are skipped.
 *
 * @example
 * ```ts
 * canonicalQueryPairs('b=2&a=x+y&a'); // [['a', ''], ['a', 'x%20y'], ['b', '2']]
 * ```
 */
export function canonicalQueryPairs(query: string | null): Array<readonly [string, string]> {
  if (query === null || query === '') return [];
  const pairs: Array<readonly [string, string]> = [];
  for (const component of query.split('&')) {
    if (component === '') continue;
    const equals = component.indexOf('=');
    const name = equals === -1 ? component : component.slice(0, equals);
    const value = equals === -1 ? '' : component.slice(equals + 1);
    pairs.push([reencode(name), reencode(value)]);
  }
  return pairs.sort(([nameA, valueA], [nameB, valueB]) => compare(nameA, nameB) || compare(valueA, valueB));
}

/**
 * The canonical query string: {@link canonicalQueryPairs} joined as `name=value&…`.
 *
 * @example
 * ```ts
 * canonicalQuery('Param2=value2&Param1=value1'); // 'Param1=value1&Param2=value2'
 * canonicalQuery(null); // ''
 * ```
 */
export function canonicalQuery(query: string | null): string {
  return canonicalQueryPairs(query)
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

// Decodes '+' and %XX to bytes and encodes the bytes again, so that any spelling of the
// same bytes ('~', '%7E', '%7e') gives one canonical form. Works on bytes, not on text:
// a value need not be UTF-8.
function reencode(part: string): string {
  let out = '';
  for (let index = 0; index < part.length; index++) {
    const char = part[index] ?? '';
    if (char === '%') {
      const byte = Number.parseInt(part.slice(index + 1, index + 3), 16);
      index += 2;
      out += encodeByte(byte);
    } else if (char === '+') {
      out += '%20';
    } else {
      out += UNRESERVED.test(char) ? char : encodeByte(char.charCodeAt(0));
    }
  }
  return out;
}

function encodeByte(byte: number): string {
  const char = String.fromCharCode(byte);
  return UNRESERVED.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function escapeBytes(char: string): string {
  let out = '';
  for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

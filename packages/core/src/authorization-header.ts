/**
 * The `Authorization` request header (RFC 9110 §11.6.2) in the one form Tessera accepts,
 * `auth-scheme 1*SP token68`, and the client credentials carried by the Basic scheme
 * (RFC 7617 with RFC 6749 §2.3.1).
 *
 * Parsers here return `null` for anything they do not accept: a malformed credential is
 * an expected input from the network, not a fault.
 */

/** Longest token68 accepted, `=` padding included. Node's whole header block is 16 KiB. */
export const MAX_TOKEN68_LENGTH = 8192;

/**
 * Longest `Authorization` value accepted: the token68 cap plus room for a scheme and the
 * spaces after it. Checked before anything else, so hostile input costs no scanning.
 */
export const MAX_AUTHORIZATION_LENGTH = MAX_TOKEN68_LENGTH + 256;

/** Parsed `auth-scheme 1*SP token68` credentials. */
export interface AuthorizationCredentials {
  /** The auth-scheme, lower-cased (schemes are case-insensitive). */
  scheme: string;
  /** The token68, exactly as sent. */
  token68: string;
}

/** Client credentials from an RFC 6749 §2.3.1 Basic `Authorization` header. */
export interface BasicClientCredentials {
  clientId: string;
  clientSecret: string;
}

// Scheme is an RFC 9110 token; token68 may end in '=' only. No class contains a space or
// '=' of the neighbouring part, so the match is linear and unambiguous.
const CREDENTIALS = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) +([-._~+/0-9A-Za-z]+=*)$/;

// Standard alphabet with mandatory padding, so exactly one spelling per byte string
// once the spare bits are also checked (see canonicalBase64).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const CONTROL = /\p{Cc}/u;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses an `Authorization` header value of the form `auth-scheme 1*SP token68`.
 *
 * Strict by design: returns `null` for auth-params (`a=b`), lists (any comma, which is also
 * what a fetch `Headers` object makes of a repeated header), tabs, control characters,
 * a missing or empty token68, and values over {@link MAX_AUTHORIZATION_LENGTH} or with a
 * token68 over {@link MAX_TOKEN68_LENGTH}. Leading and trailing whitespace is rejected,
 * not trimmed: HTTP parsers (Node's, fetch's) already strip it, so any that is left means
 * the value was assembled by hand and is suspect.
 *
 * @example
 * ```ts
 * parseAuthorization('Bearer mF_9.B5f-4.1JqM');
 * // → { scheme: 'bearer', token68: 'mF_9.B5f-4.1JqM' }
 * parseAuthorization('Bearer a, Basic b'); // → null
 * ```
 */
export function parseAuthorization(value: string): AuthorizationCredentials | null {
  if (typeof value !== 'string' || value.length > MAX_AUTHORIZATION_LENGTH) return null;
  const match = CREDENTIALS.exec(value);
  if (match === null) return null;
  const [, scheme, token68] = match;
  if (scheme === undefined || token68 === undefined || token68.length > MAX_TOKEN68_LENGTH) return null;
  return { scheme: scheme.toLowerCase(), token68 };
}

/**
 * Decodes the token68 of a Basic `Authorization` header into OAuth client credentials.
 *
 * The token68 must be canonical standard base64 (padding required, no whitespace, no
 * base64url alphabet, zero spare bits) of valid UTF-8 `client-id ":" client-secret`, split
 * at the first colon. Each part is then `application/x-www-form-urlencoded`-decoded
 * (`+` is a space, `%XX` a UTF-8 byte), as RFC 6749 §2.3.1 requires. Returns `null` when
 * any of that fails, when there is no colon, when the client id is empty, or when either
 * part contains a control character. An empty secret is returned as `''`: refusing it is
 * the caller's decision.
 *
 * @example
 * ```ts
 * parseBasicClientCredentials('czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3');
 * // → { clientId: 's6BhdRkqt3', clientSecret: '7Fjfp0ZBr1KtDRbnfVdmIw' }
 * ```
 */
export function parseBasicClientCredentials(token68: string): BasicClientCredentials | null {
  const bytes = decodeCanonicalBase64(token68);
  if (bytes === null) return null;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return null;
  }
  const colon = text.indexOf(':');
  if (colon === -1) return null;
  const clientId = formUrlDecode(text.slice(0, colon));
  const clientSecret = formUrlDecode(text.slice(colon + 1));
  if (clientId === null || clientSecret === null || clientId === '') return null;
  if (CONTROL.test(clientId) || CONTROL.test(clientSecret)) return null;
  return { clientId, clientSecret };
}

function decodeCanonicalBase64(value: string): Buffer | null {
  if (typeof value !== 'string' || value.length > MAX_TOKEN68_LENGTH || !BASE64.test(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  // Buffer ignores the spare bits of the last symbol, so 'QR==' would also decode to 'A';
  // re-encoding exposes any such second spelling of the same bytes.
  return bytes.toString('base64') === value ? bytes : null;
}

function formUrlDecode(value: string): string | null {
  try {
    // '+' first: an encoded '%2B' must stay a literal plus.
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return null;
  }
}

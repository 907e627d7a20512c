/**
 * Building `WWW-Authenticate` challenges (RFC 9110 §11.6.1, RFC 6750 §3).
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// Printable ASCII and space only. RFC 9110 would also allow HTAB and obs-text in a
// quoted-string, but neither has a use in a challenge and both invite injection bugs.
const QUOTABLE = /^[\x20-\x7e]*$/;

/**
 * Formats one challenge: the scheme, then each defined parameter as `name="value"`,
 * separated by `, `, in the object's own-property order (which JavaScript puts
 * integer-like names first). `"` and `\` in values are backslash-escaped; `undefined`
 * values are skipped.
 *
 * Anything that could break out of the header is a programming error and throws a
 * `TypeError`: a scheme or parameter name that is not an RFC 9110 token, or a value with
 * a character outside printable ASCII (CR, LF, NUL, tab, DEL, any non-ASCII).
 * RFC 6750 §3 further forbids `"` and `\` in `error` and `error_description`; keeping
 * them out of those texts is the caller's job.
 *
 * @example
 * ```ts
 * formatChallenge('Bearer', { realm: 'api', error: 'invalid_token', error_description: undefined });
 * // → 'Bearer realm="api", error="invalid_token"'
 * ```
 */
export function formatChallenge(scheme: string, params: Record<string, string | undefined>): string {
  if (typeof scheme !== 'string' || !TOKEN.test(scheme)) {
    throw new TypeError('WWW-Authenticate scheme must be an RFC 9110 token');
  }
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (!TOKEN.test(name)) {
      throw new TypeError(`WWW-Authenticate parameter name ${JSON.stringify(name)} is not an RFC 9110 token`);
    }
    // The value is left out of the message: it may be a token or a user-supplied string.
    if (typeof value !== 'string' || !QUOTABLE.test(value)) {
      throw new TypeError(`WWW-Authenticate parameter ${name} must be a string of printable ASCII`);
    }
    parts.push(`${name}="${value.replace(/["\\]/g, '\\$&')}"`);
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}

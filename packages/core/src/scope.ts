/**
 * The OAuth `scope` parameter (RFC 6749 §3.3): scope-tokens separated by single spaces.
 */

// scope-token = 1*( %x21 / %x23-5B / %x5D-7E ): printable ASCII but '"' and '\'.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/**
 * Parses a `scope` value into its scope-tokens, duplicates removed (first appearance
 * kept). Returns `null` for the empty string, an empty token (leading, trailing or double
 * space), any separator but a single space (tab, newline), and any character outside the
 * scope-token set (`"`, `\`, controls, non-ASCII). An absent `scope` parameter is the
 * caller's case to handle before calling this.
 *
 * @example
 * ```ts
 * parseScope('openid profile openid'); // → ['openid', 'profile']
 * parseScope('openid  profile'); // → null
 * ```
 */
export function parseScope(value: string): string[] | null {
  if (typeof value !== 'string' || !SCOPE.test(value)) return null;
  return [...new Set(value.split(' '))];
}

/**
 * Formats scope-tokens as a `scope` value: duplicates removed (first appearance kept),
 * joined by single spaces. An empty iterable gives `''`, which {@link parseScope} refuses:
 * leave the parameter out instead. A token that is not an RFC 6749 scope-token is a
 * programming error and throws a `TypeError`.
 *
 * @example
 * ```ts
 * formatScope(new Set(['openid', 'email'])); // → 'openid email'
 * ```
 */
export function formatScope(scopes: Iterable<string>): string {
  const unique = new Set<string>();
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw new TypeError('scope values must be RFC 6749 scope-tokens');
    }
    unique.add(scope);
  }
  return [...unique].join(' ');
}

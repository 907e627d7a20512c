/**
 * Strict base64url (RFC 4648 §5) as JOSE uses it (RFC 7515 §2): no padding, no other
 * alphabet, no whitespace, and exactly one text per byte string.
 */

/**
 * Encodes bytes as base64url without padding.
 *
 * @example
 * ```ts
 * encodeBase64Url(new TextEncoder().encode('hi')); // 'aGk'
 * ```
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decodes canonical base64url, or returns `null` for anything else: a character outside
 * `[A-Za-z0-9_-]`, padding, a length that is 1 modulo 4, or non-zero unused bits in the
 * last character. The empty string decodes to zero bytes.
 *
 * @example
 * ```ts
 * decodeBase64Url('aGk');  // <Buffer 68 69>
 * decodeBase64Url('aGl');  // null: unused bits set, a second spelling of 'aGk'
 * decodeBase64Url('aGk='); // null: padding
 * ```
 */
export function decodeBase64Url(text: string): Buffer | null {
  if (typeof text !== 'string' || text.length % 4 === 1) return null;
  // Node's decoder is lenient: it skips `=`, spaces and unknown characters, accepts `+/`
  // and ignores unused bits, so one byte string has many spellings. The canonical
  // spelling is unique, so re-encoding and comparing refuses every other one at once,
  // and runs faster than scanning the alphabet first.
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

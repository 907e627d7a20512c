/**
 * Strict base64url (RFC 4648 §5) as JOSE uses it (RFC 7515 §2): no padding, no other
 * alphabet, no whitespace, and exactly one text per byte string.
 */

// Node's own decoder skips `=`, spaces and unknown characters and accepts `+/`, so the
// same bytes could arrive in many spellings; everything here refuses all but one.
const ALPHABET = /^[A-Za-z0-9_-]*$/;

// Value of each base64url character (index: char code), -1 elsewhere.
const VALUE = new Int8Array(128).fill(-1);
for (let index = 0; index < 64; index += 1) {
  VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(index)] = index;
}

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
  const remainder = text.length % 4;
  if (remainder === 1 || !ALPHABET.test(text)) return null;
  if (remainder !== 0) {
    // 2 characters carry 12 bits for 8 (4 unused); 3 carry 18 for 16 (2 unused).
    const last = VALUE[text.charCodeAt(text.length - 1)] ?? -1;
    if ((last & (remainder === 2 ? 0x0f : 0x03)) !== 0) return null;
  }
  return Buffer.from(text, 'base64url');
}

import { randomBytes } from 'node:crypto';

const POOL_BYTES = 16 * 256;
let pool = randomBytes(POOL_BYTES);
let offset = 0;

/**
 * 16 random bytes from a pool refilled 256 draws at a time: one call to the generator per
 * 256 identifiers, on the token endpoint's path. Each draw is used once.
 */
function random16(): Buffer {
  if (offset === POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

/** A random public identifier with a readable prefix, e.g. `cli_4f…` for a client. */
export function newIdentifier(prefix: 'cli' | 'api' | 'jti' | 'key' | 'usr' | 'ses' | 'grt'): string {
  return `${prefix}_${random16().toString('base64url')}`;
}

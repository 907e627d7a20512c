import { createHash } from 'node:crypto';

/** The members RFC 7638 §3.2 hashes for each key type, in lexicographic order. */
const REQUIRED_MEMBERS: ReadonlyMap<string, readonly string[]> = new Map([
  ['EC', ['crv', 'kty', 'x', 'y']],
  ['RSA', ['e', 'kty', 'n']],
  ['OKP', ['crv', 'kty', 'x']],
]);

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK, base64url: what `cnf.jkt` holds
 * (RFC 9449 §6.1). Null for a key type without a thumbprint definition or a member missing.
 *
 * @example jwkThumbprint({ kty: 'RSA', e: 'AQAB', n: '0vx7…' }) // the RFC 7638 §3.1 key → 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | null {
  const members = typeof jwk.kty === 'string' ? REQUIRED_MEMBERS.get(jwk.kty) : undefined;
  if (members === undefined) return null;
  const canonical: Record<string, string> = {};
  for (const member of members) {
    const value = jwk[member];
    if (typeof value !== 'string') return null;
    canonical[member] = value;
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

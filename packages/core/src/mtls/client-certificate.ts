/**
 * What travels about a client certificate: its RFC 8705 §3.1 thumbprint (`cnf.x5t#S256` of
 * a certificate-bound token) and the RFC 9440 `Client-Cert` header by which a
 * TLS-terminating proxy hands the certificate on.
 */
import { createHash } from 'node:crypto';

/** The RFC 9440 header a TLS-terminating proxy puts the client's certificate in. */
export const CLIENT_CERT_HEADER = 'client-cert';
/** The RFC 9440 header with the rest of the chain (not used: only the leaf is read). */
export const CLIENT_CERT_CHAIN_HEADER = 'client-cert-chain';
/** Far above any real certificate, far below anything costly to decode. */
const MAX_HEADER_LENGTH = 16 * 1024;

/**
 * The `x5t#S256` of a certificate: base64url of the SHA-256 of its DER encoding.
 *
 * @example certificateThumbprint(der) // → 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2'
 */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

/**
 * The DER certificate of a `Client-Cert` value: an RFC 8941 byte sequence, `:` base64 `:`
 * (standard alphabet, padded). Null for anything else, an empty one included.
 *
 * @example parseClientCertHeader(':MIIBqDCCAU6gAwIBAgIBBzAKBggqhkjOPQQDAjA6…:') // → <Buffer 30 82 01 a8 …>
 */
export function parseClientCertHeader(value: string): Buffer | null {
  if (typeof value !== 'string' || value.length > MAX_HEADER_LENGTH) return null;
  const match = /^[ \t]*:([A-Za-z0-9+/]+={0,2}):[ \t]*$/.exec(value);
  if (match === null) return null;
  const text = match[1] as string;
  const bytes = Buffer.from(text, 'base64');
  // One spelling per byte string: refuses bad padding and stray unused bits.
  return bytes.length > 0 && bytes.toString('base64') === text ? bytes : null;
}

/**
 * The `Client-Cert` value for a DER certificate.
 *
 * @example formatClientCertHeader(der) // → ':MIIBqDCCAU6gAwIBAgIBBzAKBggqhkjOPQQDAjA6…:'
 */
export function formatClientCertHeader(der: Uint8Array): string {
  return `:${Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64')}:`;
}

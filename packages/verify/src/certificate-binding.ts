import { certificateThumbprint, ErrorCode, InvalidToken } from '@tessera/core';
import type { VerifyRequest } from './verification.js';

/** The `cnf` member of a certificate-bound token (RFC 8705 §3.1). */
export const CERTIFICATE_THUMBPRINT = 'x5t#S256';

/**
 * RFC 8705 §3: a token whose `cnf` names a certificate (`x5t#S256`) is accepted only over a
 * connection whose client certificate hashes to it. Returns the refusal, or undefined when
 * the token is not bound to a certificate or the request presents that certificate.
 *
 * @example certificateBindingError(claims.cnf, { ...request, clientCertificate: der }) // → undefined when it matches
 */
export function certificateBindingError(cnf: unknown, request: VerifyRequest): InvalidToken | undefined {
  if (typeof cnf !== 'object' || cnf === null || !Object.hasOwn(cnf, CERTIFICATE_THUMBPRINT))
    return undefined;
  const expected = (cnf as Record<string, unknown>)[CERTIFICATE_THUMBPRINT];
  const certificate = request.clientCertificate;
  if (certificate === undefined) {
    return new InvalidToken(
      ErrorCode.TOKEN_CERTIFICATE_MISMATCH,
      'This token is bound to a client certificate; present it over mutual TLS with that certificate.',
    );
  }
  if (typeof expected !== 'string' || certificateThumbprint(certificate) !== expected) {
    return new InvalidToken(
      ErrorCode.TOKEN_CERTIFICATE_MISMATCH,
      'This token is bound to another client certificate.',
    );
  }
  return undefined;
}

/** Whether `cnf` binds the token to a certificate and to nothing else (no DPoP key). */
export function boundToCertificateOnly(cnf: unknown): boolean {
  return (
    typeof cnf === 'object' &&
    cnf !== null &&
    Object.keys(cnf).length === 1 &&
    Object.hasOwn(cnf, CERTIFICATE_THUMBPRINT)
  );
}

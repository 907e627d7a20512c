/**
 * Client certificates (RFC 8705): what a request presented, and the checks made on one
 * that did not come through a TLS handshake with our own trust store (a `Client-Cert`
 * header from a trusted proxy).
 */
import { X509Certificate } from 'node:crypto';

/** id-kp-clientAuth (RFC 5280 §4.2.1.12). */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** The client certificate of a request: of its TLS connection, or a trusted proxy's `Client-Cert`. */
export interface PresentedCertificate {
  /** The certificate, DER. Its holder proved it has the private key (in the TLS handshake). */
  readonly der: Buffer;
  /**
   * Whether it chains to a CA configured for client certificates, with every certificate of
   * the chain within its validity period, and may authenticate a client (its extended key
   * usage, if any, allows it). A self-signed certificate is not trusted this way.
   */
  readonly trusted: boolean;
}

/** Whether a certificate is within its validity period at `now` (seconds). False when it cannot be read. */
export function isCurrent(der: Buffer, now: number): boolean {
  const certificate = parse(der);
  return certificate !== null && withinValidity(certificate, now);
}

/** The public key of a certificate as a JWK, or null when it cannot be read. */
export function certificatePublicJwk(der: Buffer): Record<string, unknown> | null {
  try {
    return new X509Certificate(der).publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * The CAs a deployment trusts for client certificates (a PEM bundle), for certificates that
 * arrive in a header: TLS checks those of a connection itself. A certificate is trusted when
 * one of these CAs signed it directly, both are within their validity periods, and its
 * extended key usage, when it has one, includes client authentication (as OpenSSL checks a
 * connection's); intermediates are not followed (RFC 9440's `Client-Cert-Chain` is not read).
 */
export class ClientCertificateAuthorities {
  private readonly authorities: readonly X509Certificate[];

  constructor(bundle: Buffer) {
    const pems = bundle
      .toString('utf8')
      .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    this.authorities = (pems ?? []).map((pem) => new X509Certificate(pem));
    if (this.authorities.length === 0) throw new Error('the client CA bundle holds no PEM certificate');
  }

  /**
   * Whether `der` was issued by one of the CAs, both are current at `now` (seconds), and it
   * may authenticate a client.
   */
  trusts(der: Buffer, now: number): boolean {
    const certificate = parse(der);
    if (certificate === null || !withinValidity(certificate, now) || !allowsClientAuth(certificate)) {
      return false;
    }
    return this.authorities.some(
      (authority) =>
        withinValidity(authority, now) &&
        certificate.checkIssued(authority) &&
        certificate.verify(authority.publicKey),
    );
  }
}

function parse(der: Buffer): X509Certificate | null {
  try {
    return new X509Certificate(der);
  } catch {
    return null;
  }
}

/** No extended key usage allows any use; one that is present must name client authentication. */
function allowsClientAuth(certificate: X509Certificate): boolean {
  // Node names it `keyUsage`, but it holds the extended key usage OIDs.
  const usages = certificate.keyUsage as string[] | undefined;
  return usages === undefined || usages.includes(CLIENT_AUTH);
}

function withinValidity(certificate: X509Certificate, now: number): boolean {
  const ms = now * 1000;
  return Date.parse(certificate.validFrom) <= ms && ms <= Date.parse(certificate.validTo);
}

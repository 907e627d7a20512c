import {
  certificateNames,
  certificateThumbprint,
  ErrorCode,
  InvalidToken,
  type RevocationList,
} from '@tessera/core';
import { headerCount } from './bearer-token.js';
import type { CertificateClientLookup } from './certificate-client-lookup.js';
import type { Identity, Scheme, VerifyRequest } from './verification.js';

export interface MtlsSchemeOptions {
  /**
   * Maps a certificate to the `tls_client_auth` client registered for it and this resource
   * server's audiences; without it, the DN is the identity.
   */
  readonly lookup: CertificateClientLookup | undefined;
  readonly revocations: RevocationList;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

type Checked = { ok: true; identity: Identity } | { ok: false; error: InvalidToken };

const refused = (description: string): Checked => ({
  ok: false,
  error: new InvalidToken(ErrorCode.TOKEN_INVALID, description),
});

/**
 * Mutual TLS as the credential itself, for service-to-service calls (RFC 8705 §2.1 names,
 * no token): a request with a client certificate and no other credential. The certificate
 * must be trusted (`clientCertificateTrusted`: it chains to a CA this server trusts and is
 * current). The caller is the `tls_client_auth` client registered at the issuer for its
 * subject with one of this resource server's audiences, holding that client's scopes for
 * them; or, when none is, the certificate's subject DN (RFC 4514), holding no scopes. A deleted client stops being recognised within about a
 * second (its revocation reaches the feed), its certificate then standing for its DN.
 */
export function createMtlsScheme(options: MtlsSchemeOptions): Scheme {
  return {
    name: 'mtls',
    presents: (request) =>
      request.clientCertificate !== undefined &&
      headerCount(request, 'authorization') === 0 &&
      headerCount(request, 'x-api-key') === 0,
    async verify(request: VerifyRequest): Promise<Checked> {
      const der = request.clientCertificate as Uint8Array;
      if (request.clientCertificateTrusted !== true) {
        return refused('The client certificate is not trusted, or not within its validity period.');
      }
      const names = certificateNames(der);
      if (names === null) return refused('The client certificate cannot be read.');
      const thumbprint = certificateThumbprint(der);
      const client = await registeredClient(der);
      if (client !== null) {
        return identity(client.clientId, client.clientId, client.scopes, names.subject, thumbprint);
      }
      if (names.subject === '') return refused('The client certificate names no subject.');
      return identity(names.subject, undefined, [], names.subject, thumbprint);
    },
  };

  async function registeredClient(der: Uint8Array) {
    const { lookup } = options;
    if (lookup === undefined) return null;
    let answer = await lookup.lookup(der);
    const revoked = (clientId: string, asked: number) =>
      options.revocations.isRevoked({ jti: '', clientId, subject: clientId, issuedAt: asked }, options.now());
    if (answer.client !== null && revoked(answer.client.clientId, answer.asked)) {
      // Deleted since the answer was cached: ask again.
      lookup.forget(der);
      answer = await lookup.lookup(der);
      if (answer.client !== null && revoked(answer.client.clientId, answer.asked)) return null;
    }
    return answer.client;
  }
}

function identity(
  subject: string,
  clientId: string | undefined,
  scopes: readonly string[],
  dn: string,
  thumbprint: string,
): Checked {
  return {
    ok: true,
    identity: {
      subject,
      clientId,
      scopes,
      scheme: 'mtls',
      claims: {
        sub: subject,
        ...(clientId === undefined ? {} : { client_id: clientId }),
        scope: scopes.join(' '),
        subject_dn: dn,
        'x5t#S256': thumbprint,
      },
      confirmation: { 'x5t#S256': thumbprint },
    },
  };
}

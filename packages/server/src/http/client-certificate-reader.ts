/**
 * Where a request's client certificate (RFC 8705) comes from: the TLS connection, or, when
 * the connection is from a TLS-terminating proxy the configuration trusts, its RFC 9440
 * `Client-Cert` header. Shared by the authorization server and the gateway.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { CLIENT_CERT_HEADER, parseClientCertHeader } from '@tessera/core';
import { ClientCertificateAuthorities, type PresentedCertificate } from '../services/client-certificates.js';

export interface ClientCertificateSettings {
  /** PEM bundle of the CAs client certificates must chain to. */
  readonly ca: Buffer;
  /** Addresses whose `Client-Cert` header is believed; from anyone else it is ignored. */
  readonly trustedProxies: readonly string[];
}

/**
 * Reads the client certificate of a request. From a trusted proxy it is the `Client-Cert`
 * header's (exactly one, well-formed; the proxy's own certificate is not the client's),
 * checked here against the CA bundle and dates; from anyone else it is the connection's,
 * as the TLS handshake checked it (`authorized`: chain and dates), and the header is
 * ignored.
 *
 * @example
 * ```ts
 * const reader = new ClientCertificateReader({ ca, trustedProxies: ['10.0.0.5'] }, () => Date.now() / 1000);
 * const certificate = reader.read(req.socket, req.rawHeaders);
 * ```
 */
export class ClientCertificateReader {
  private readonly authorities: ClientCertificateAuthorities;
  private readonly trustedProxies: ReadonlySet<string>;

  constructor(
    settings: ClientCertificateSettings,
    private readonly now: () => number,
  ) {
    this.authorities = new ClientCertificateAuthorities(settings.ca);
    this.trustedProxies = new Set(settings.trustedProxies.map(plainAddress));
  }

  /** Whether the connection comes from a proxy whose `Client-Cert` header is believed. */
  fromTrustedProxy(socket: Socket): boolean {
    return this.trustedProxies.size > 0 && this.trustedProxies.has(plainAddress(socket.remoteAddress ?? ''));
  }

  read(socket: Socket, rawHeaders: readonly string[]): PresentedCertificate | undefined {
    if (this.fromTrustedProxy(socket)) {
      const values: string[] = [];
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        if ((rawHeaders[i] as string).toLowerCase() === CLIENT_CERT_HEADER)
          values.push(rawHeaders[i + 1] as string);
      }
      const der = values.length === 1 ? parseClientCertHeader(values[0] as string) : null;
      return der === null ? undefined : { der, trusted: this.authorities.trusts(der, this.now()) };
    }
    const tls = socket as Partial<TLSSocket>;
    if (typeof tls.getPeerCertificate !== 'function') return undefined;
    // An empty object when the client sent none.
    const raw = tls.getPeerCertificate().raw as Buffer | undefined;
    return raw === undefined || raw.length === 0 ? undefined : { der: raw, trusted: tls.authorized === true };
  }
}

/** `::ffff:10.0.0.5`, as a dual-stack socket names an IPv4 peer, is `10.0.0.5`. */
const plainAddress = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');

import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { formatClientCertHeader } from '@tessera/core';
import { makeTestCertificates, type TestCertificates } from '../../test/mtls/certificates.js';
import { ClientCertificateReader } from './client-certificate-reader.js';

describe('ClientCertificateReader', () => {
  let certs: TestCertificates;
  let reader: ClientCertificateReader;
  before(() => {
    certs = makeTestCertificates();
    reader = new ClientCertificateReader({ ca: certs.ca.cert, trustedProxies: ['10.0.0.5', '::1'] }, () =>
      Math.floor(Date.now() / 1000),
    );
  });
  after(() => certs.remove());

  const socket = (remoteAddress: string, peer?: { raw?: Buffer; authorized?: boolean }) =>
    ({
      remoteAddress,
      ...(peer
        ? { getPeerCertificate: () => (peer.raw ? { raw: peer.raw } : {}), authorized: peer.authorized }
        : {}),
    }) as unknown as Socket;
  const header = (der: Buffer) => ['Client-Cert', formatClientCertHeader(der)];

  it('takes the TLS connection’s certificate, as the handshake judged it, and ignores the header', () => {
    assert.deepEqual(
      reader.read(socket('10.0.0.9', { raw: certs.orders.der, authorized: true }), header(certs.billing.der)),
      {
        der: certs.orders.der,
        trusted: true,
      },
    );
    assert.deepEqual(reader.read(socket('10.0.0.9', { raw: certs.foreign.der, authorized: false }), []), {
      der: certs.foreign.der,
      trusted: false,
    });
    assert.equal(reader.read(socket('10.0.0.9', {}), header(certs.orders.der)), undefined);
    assert.equal(reader.read(socket('10.0.0.9'), header(certs.orders.der)), undefined);
  });

  it('takes a trusted proxy’s Client-Cert instead, IPv4-mapped addresses included, and checks it itself', () => {
    for (const address of ['10.0.0.5', '::ffff:10.0.0.5', '::1']) {
      assert.deepEqual(
        reader.read(socket(address, { raw: certs.billing.der, authorized: true }), header(certs.orders.der)),
        {
          der: certs.orders.der,
          trusted: true,
        },
      );
    }
    for (const made of [
      certs.foreign,
      certs.expired,
      certs.fromExpiredCa,
      certs.impostor,
      certs.selfSigned,
    ]) {
      assert.deepEqual(reader.read(socket('10.0.0.5'), header(made.der)), { der: made.der, trusted: false });
    }
    // No header, two, or a malformed one: no certificate, not the proxy's own.
    assert.equal(
      reader.read(socket('10.0.0.5', { raw: certs.billing.der, authorized: true }), []),
      undefined,
    );
    assert.equal(
      reader.read(socket('10.0.0.5'), [...header(certs.orders.der), ...header(certs.orders.der)]),
      undefined,
    );
    assert.equal(reader.read(socket('10.0.0.5'), ['client-cert', 'MIIB']), undefined);
  });

  it('refuses a forwarded certificate not for client authentication, as TLS would; one with no EKU is fine', () => {
    // The server's certificate, from the same CA, has extendedKeyUsage=serverAuth only.
    assert.deepEqual(reader.read(socket('10.0.0.5'), header(certs.server.der)), {
      der: certs.server.der,
      trusted: false,
    });
    assert.deepEqual(reader.read(socket('10.0.0.5'), header(certs.noEku.der)), {
      der: certs.noEku.der,
      trusted: true,
    });
  });

  it('refuses a forwarded certificate whose CA, though in the bundle, is not current', () => {
    const withExpiredCa = new ClientCertificateReader(
      { ca: Buffer.concat([certs.ca.cert, certs.expiredCa.cert]), trustedProxies: ['10.0.0.5'] },
      () => Math.floor(Date.now() / 1000),
    );
    assert.deepEqual(withExpiredCa.read(socket('10.0.0.5'), header(certs.fromExpiredCa.der)), {
      der: certs.fromExpiredCa.der,
      trusted: false,
    });
    assert.equal(withExpiredCa.read(socket('10.0.0.5'), header(certs.orders.der))?.trusted, true);
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  certificateNames,
  parseDistinguishedName,
  parseSubjectAltName,
  subjectAltNameKey,
} from './certificate-names.js';
import {
  certificateThumbprint,
  formatClientCertHeader,
  parseClientCertHeader,
} from './client-certificate.js';

/** A self-signed certificate made by the openssl CLI, as DER. */
function makeCertificate(dir: string, subject: string, altNames?: string): Buffer {
  const cert = join(dir, `${createHash('sha256').update(subject).digest('hex').slice(0, 8)}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      cert,
      '-days',
      '1',
      '-utf8',
      '-multivalue-rdn',
      '-subj',
      subject,
      ...(altNames === undefined ? [] : ['-addext', `subjectAltName=${altNames}`]),
    ],
    { stdio: 'pipe' },
  );
  return Buffer.from(new X509Certificate(readFileSync(cert)).raw);
}

describe('certificateNames', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-names-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the subject in RFC 4514 order, most specific first, and every alternative name', () => {
    const der = makeCertificate(
      dir,
      '/C=DE/O=Example, Inc./OU=Zoë+UID=42/CN=orders-service',
      'DNS:Orders.Internal,IP:10.0.0.7,IP:2001:DB8:0:0::1,URI:spiffe://example.org/orders,email:orders@example.com',
    );
    const names = certificateNames(der);
    assert.ok(names);
    // The comma is escaped; non-ASCII is written as UTF-8 hex pairs, so it fits in a header.
    assert.equal(names.subject, 'CN=orders-service,OU=Zo\\C3\\AB+UID=42,O=Example\\, Inc.,C=DE');
    assert.deepEqual(names.subjectAltNames, [
      { type: 'dns', value: 'orders.internal' },
      { type: 'ip', value: '10.0.0.7' },
      { type: 'ip', value: '2001:db8::1' },
      { type: 'uri', value: 'spiffe://example.org/orders' },
      { type: 'email', value: 'orders@example.com' },
    ]);
    assert.deepEqual(names.matchKeys.slice(1), [
      'dns:orders.internal',
      'ip:10.0.0.7',
      'ip:2001:db8::1',
      'uri:spiffe://example.org/orders',
      'email:orders@example.com',
    ]);
  });

  it('matches a registered DN however it is spelt: case, spaces, order inside an RDN, escapes', () => {
    const der = makeCertificate(dir, '/C=DE/O=Example, Inc./OU=Zoë+UID=42/CN=orders-service');
    const key = certificateNames(der)?.matchKeys[0];
    for (const written of [
      'CN=orders-service,OU=Zoë+UID=42,O=Example\\, Inc.,C=DE',
      'cn=Orders-Service, uid=42 + ou=ZOË, o=example\\2C  inc., c=de',
      '2.5.4.3=orders-service,OU=Zo\\C3\\AB+0.9.2342.19200300.100.1.1=42,O=Example\\, Inc.,C=DE',
      'CN=#0c0e6f72646572732d73657276696365,OU=Zoë+UID=42,O=Example\\, Inc.,C=DE',
    ]) {
      assert.equal(parseDistinguishedName(written)?.matchKey, key, written);
    }
    for (const other of [
      'CN=orders-service,O=Example\\, Inc.,C=DE',
      'O=Example\\, Inc.,CN=orders-service,OU=Zoë+UID=42,C=DE',
      'CN=orders-service2,OU=Zoë+UID=42,O=Example\\, Inc.,C=DE',
    ]) {
      assert.notEqual(parseDistinguishedName(other)?.matchKey, key, other);
    }
  });

  it('gives a canonical display form', () => {
    assert.deepEqual(parseDistinguishedName('cn=orders-service, o=Example'), {
      dn: 'CN=orders-service,O=Example',
      matchKey: 'dn:CN=orders-service,O=example',
    });
    assert.equal(parseDistinguishedName('CN=\\ lead\\#,O=a\\+b')?.dn, 'CN=lead#,O=a\\+b');
    // RFC 4514 §2.4: a leading '#' and a trailing space are escaped.
    assert.equal(parseDistinguishedName('CN=\\#x')?.dn, 'CN=\\#x');
    assert.equal(parseDistinguishedName('CN=#0c03612020')?.dn, 'CN=a \\ ');
    // A value that is no string stays hex, in the display form and the key.
    assert.deepEqual(parseDistinguishedName('CN=#020101'), { dn: 'CN=#020101', matchKey: 'dn:CN=#020101' });
  });

  it('refuses what is not an RFC 4514 DN', () => {
    for (const text of [
      '',
      '   ',
      'orders-service',
      'CN=',
      'CN=a,',
      'CN=a;O=b',
      'XX=a',
      'CN=a\\',
      'CN=a\\zz',
      'CN=<a>',
      'CN=#zz',
      'CN=\\ff\\fe',
      '/O=Example/CN=orders-service',
    ]) {
      assert.equal(parseDistinguishedName(text), null, JSON.stringify(text));
    }
  });

  it('refuses malformed DER rather than guessing', () => {
    const der = makeCertificate(dir, '/CN=x');
    assert.equal(certificateNames(der.subarray(0, der.length - 1)), null);
    assert.equal(certificateNames(Buffer.concat([der, Buffer.from([0])])), null);
    assert.equal(certificateNames(Buffer.from('not a certificate')), null);
    assert.equal(certificateNames(new Uint8Array()), null);
  });
});

describe('parseSubjectAltName', () => {
  it('reads TYPE:VALUE in canonical form', () => {
    assert.deepEqual(parseSubjectAltName('DNS:Orders.Internal'), { type: 'dns', value: 'orders.internal' });
    assert.deepEqual(parseSubjectAltName('ip:2001:DB8:0::1'), { type: 'ip', value: '2001:db8::1' });
    assert.deepEqual(parseSubjectAltName('ip:10.0.0.7'), { type: 'ip', value: '10.0.0.7' });
    assert.deepEqual(parseSubjectAltName('uri:spiffe://example.org/orders'), {
      type: 'uri',
      value: 'spiffe://example.org/orders',
    });
    assert.equal(
      subjectAltNameKey({ type: 'email', value: 'Orders@Example.com' }),
      'email:orders@example.com',
    );
  });

  it('refuses anything else', () => {
    for (const text of [
      'orders.internal',
      'dns:',
      'dns:a b',
      'dns:a_b',
      'email:nobody',
      'ip:10.0.0.256',
      'ip:fe80::1%eth0',
      'uri:nope',
      'x:y',
    ]) {
      assert.equal(parseSubjectAltName(text), null, text);
    }
  });
});

describe('Client-Cert (RFC 9440) and x5t#S256', () => {
  const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x07]);

  it('round-trips a certificate through the header', () => {
    assert.equal(formatClientCertHeader(der), ':MAMCAQc=:');
    assert.deepEqual(parseClientCertHeader(':MAMCAQc=:'), der);
    assert.deepEqual(parseClientCertHeader(' :MAMCAQc=: '), der);
  });

  it('refuses what is not one structured-field byte sequence', () => {
    for (const value of [
      'MAMCAQc=',
      ':MAMCAQc:',
      ':MAMCAQc=',
      '::',
      ':MAMC AQc=:',
      ':MAMCAQc=:, :MAMCAQc=:',
      ':MAMCAQd=:',
      ':MA_CAQc=:',
    ]) {
      assert.equal(parseClientCertHeader(value), null, value);
    }
    assert.equal(parseClientCertHeader(`:${'A'.repeat(20_000)}:`), null);
  });

  it('hashes the DER with SHA-256, base64url', () => {
    assert.equal(certificateThumbprint(der), createHash('sha256').update(der).digest('base64url'));
  });
});

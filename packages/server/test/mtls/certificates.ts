/**
 * Certificates for the mutual TLS suites, made with the `openssl` CLI in a temporary
 * directory: a CA and its leaves (a client, another client, an expired one, one with no
 * extended key usage), a foreign CA's leaf with the same subject as the client, self-signed
 * client certificates, and a server certificate for 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key: file paths, and the PEM and DER themselves. */
export interface Made {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly der: Buffer;
}

export interface TestCertificates {
  readonly dir: string;
  /** The CA client certificates must chain to (and that signed the server's). */
  readonly ca: Made;
  /** `CN=orders-service,O=Example` and `DNS:orders.internal`, from the CA. */
  readonly orders: Made;
  /** `CN=billing-worker,O=Example`, from the CA. */
  readonly billing: Made;
  /** `CN=plain-service,O=Example`, from the CA, with no extended key usage (any use). */
  readonly noEku: Made;
  /** `CN=orders-service,O=Example`, from the CA, valid only on 1 January 2020. */
  readonly expired: Made;
  /** `CN=orders-service,O=Example`, from another CA. */
  readonly foreign: Made;
  /** Self-signed, `CN=self-signed-client`, and another with another key. */
  readonly selfSigned: Made;
  readonly otherSelfSigned: Made;
  /** Self-signed with `selfSigned`'s key, valid only on 1 January 2020. */
  readonly expiredSelfSigned: Made;
  /** `CN=orders-service,O=Example`, current, from a CA valid only on 1 January 2020. */
  readonly fromExpiredCa: Made;
  /** The expired CA itself (PEM bundle at `certFile`). */
  readonly expiredCa: Made;
  /** No subject, only `DNS:anonymous.internal`, from the CA. */
  readonly noSubject: Made;
  /** `CN=orders-service,O=Example`, from another CA that bears the CA's very name. */
  readonly impostor: Made;
  /** The server's, for 127.0.0.1 (SAN IP), from the CA; its extended key usage is serverAuth only. */
  readonly server: Made;
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-mtls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const made = (name: string): Made => {
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}.key`);
    const cert = readFileSync(certFile);
    return {
      certFile,
      keyFile,
      cert,
      key: readFileSync(keyFile),
      der: Buffer.from(new X509Certificate(cert).raw),
    };
  };
  const selfSigned = (name: string, subject: string, ...extra: string[]) => {
    openssl(
      'req',
      '-x509',
      ...EC,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      subject,
      ...extra,
    );
    return made(name);
  };
  const issued = (name: string, subject: string, by: string, ...extensions: string[]) => {
    openssl('req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, `${['basicConstraints=CA:FALSE', ...extensions].join('\n')}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${by}.pem`,
      '-CAkey',
      `${by}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      extFile,
      '-out',
      `${name}.pem`,
    );
    return made(name);
  };

  const ca = selfSigned(
    'ca',
    '/CN=Tessera Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  // The impostor copies the CA's name and key identifier: only the signature tells them apart.
  const caKeyId = /([0-9A-F]{2}(?::[0-9A-F]{2})+)/.exec(
    openssl('x509', '-in', 'ca.pem', '-noout', '-ext', 'subjectKeyIdentifier').toString(),
  )?.[1] as string;
  selfSigned(
    'impostor-ca',
    '/CN=Tessera Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-addext',
    `subjectKeyIdentifier=${caKeyId}`,
  );
  selfSigned(
    'foreign-ca',
    '/CN=Foreign CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const orders = issued(
    'orders',
    '/O=Example/CN=orders-service',
    'ca',
    'extendedKeyUsage=clientAuth',
    'subjectAltName=DNS:orders.internal',
  );
  const billing = issued('billing', '/O=Example/CN=billing-worker', 'ca', 'extendedKeyUsage=clientAuth');
  const foreign = issued(
    'foreign',
    '/O=Example/CN=orders-service',
    'foreign-ca',
    'extendedKeyUsage=clientAuth',
  );
  const server = issued(
    'server',
    '/CN=127.0.0.1',
    'ca',
    'subjectAltName=IP:127.0.0.1',
    'extendedKeyUsage=serverAuth',
  );

  // `openssl x509 -req` takes explicit dates only from OpenSSL 3.4; `openssl ca` has always had them.
  mkdirSync(join(dir, 'ca-db'));
  writeFileSync(join(dir, 'ca-db', 'index.txt'), '');
  writeFileSync(join(dir, 'ca-db', 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      'database = ca-db/index.txt',
      'new_certs_dir = ca-db',
      'serial = ca-db/serial',
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      '[any]',
      'organizationName = optional',
      'commonName = supplied',
      '[ca_ext]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      '',
    ].join('\n'),
  );
  const dated = (...args: string[]) =>
    openssl(
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-preserveDN',
      '-notext',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200102000000Z',
      ...args,
    );
  openssl(
    'req',
    '-new',
    ...EC,
    '-keyout',
    'expired.key',
    '-out',
    'expired.csr',
    '-subj',
    '/O=Example/CN=orders-service',
  );
  dated('-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.pem');
  const expired = made('expired');
  const selfSignedClient = selfSigned('self', '/CN=self-signed-client');
  openssl('req', '-new', '-key', 'self.key', '-out', 'expired-self.csr', '-subj', '/CN=self-signed-client');
  dated('-selfsign', '-keyfile', 'self.key', '-in', 'expired-self.csr', '-out', 'expired-self.pem');
  writeFileSync(join(dir, 'expired-self.key'), selfSignedClient.key);
  openssl(
    'req',
    '-new',
    ...EC,
    '-keyout',
    'expired-ca.key',
    '-out',
    'expired-ca.csr',
    '-subj',
    '/CN=Expired CA',
  );
  dated(
    '-selfsign',
    '-keyfile',
    'expired-ca.key',
    '-in',
    'expired-ca.csr',
    '-out',
    'expired-ca.pem',
    '-extensions',
    'ca_ext',
  );

  return {
    dir,
    ca,
    orders,
    billing,
    noEku: issued('no-eku', '/O=Example/CN=plain-service', 'ca'),
    expired,
    foreign,
    selfSigned: selfSignedClient,
    otherSelfSigned: selfSigned('other-self', '/CN=self-signed-client'),
    expiredSelfSigned: made('expired-self'),
    expiredCa: made('expired-ca'),
    fromExpiredCa: issued(
      'from-expired-ca',
      '/O=Example/CN=orders-service',
      'expired-ca',
      'extendedKeyUsage=clientAuth',
    ),
    impostor: issued(
      'impostor',
      '/O=Example/CN=orders-service',
      'impostor-ca',
      'extendedKeyUsage=clientAuth',
    ),
    noSubject: issued(
      'no-subject',
      '/',
      'ca',
      'extendedKeyUsage=clientAuth',
      'subjectAltName=DNS:anonymous.internal',
    ),
    server,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Mutual TLS as an operator sets it up: `tessera serve --tls-client-ca`, `tessera client
 * create --auth-method tls_client_auth --tls-subject-dn`, and curl with the client
 * certificate, all as separate processes of the built bin.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { failureLine, jsonResult, runCommand, runTessera } from '../cli/run-tessera.js';
import { killAll, startServe } from '../operations/serve-process.js';
import { makeTestCertificates, type TestCertificates } from './certificates.js';

describe('tessera serve --tls-client-ca and client create --tls-subject-dn', () => {
  let certs: TestCertificates;
  before(() => {
    certs = makeTestCertificates();
  });
  after(async () => {
    await killAll();
    certs?.remove();
  });

  it('registers a tls_client_auth client and serves it a certificate-bound token over curl', async () => {
    const cwd = certs.dir;
    const db = `sqlite:${join(cwd, 'cli.db')}`;
    const created = jsonResult(
      await runTessera(
        [
          'client',
          'create',
          '--db',
          db,
          '--name',
          'orders',
          '--grant',
          'client_credentials',
          '--auth-method',
          'tls_client_auth',
          '--tls-subject-dn',
          'cn=orders-service, o=Example',
          '--json',
        ],
        { cwd },
      ),
    );
    assert.equal(created.client_secret, undefined);
    assert.equal(created.token_endpoint_auth_method, 'tls_client_auth');
    assert.equal(created.tls_client_auth_subject_dn, 'CN=orders-service,O=Example');
    const serve = await startServe(
      [
        '--port',
        '0',
        '--db',
        db,
        '--tls-cert',
        certs.server.certFile,
        '--tls-key',
        certs.server.keyFile,
      ].concat(['--tls-client-ca', certs.ca.certFile]),
      { cwd },
    );
    assert.match(serve.url, /^https:\/\//);
    const curl = (...certificate: string[]) =>
      runCommand(
        'curl',
        ['-sS', '--cacert', certs.ca.certFile, ...certificate, '-w', '\n%{http_code}'].concat([
          '-d',
          'grant_type=client_credentials',
          '-d',
          `client_id=${created.client_id}`,
          `${serve.url}/token`,
        ]),
        { cwd },
      );
    const granted = await curl('--cert', certs.orders.certFile, '--key', certs.orders.keyFile);
    const [body = '', status] = granted.stdout.split('\n');
    assert.equal(status, '200', body);
    assert.deepEqual(decodeJwt(JSON.parse(body).access_token).cnf, {
      'x5t#S256': createHash('sha256').update(certs.orders.der).digest('base64url'),
    });
    for (const made of [certs.foreign, certs.expired, certs.billing]) {
      const refused = await curl('--cert', made.certFile, '--key', made.keyFile);
      assert.match(refused.stdout, /"error":"invalid_client"[\s\S]*\n401$/);
    }
    serve.child.kill('SIGTERM');
    assert.equal((await serve.exit()).code, 0);
  });

  it('refuses a bad subject and a client CA without TLS or a trusted proxy, with one line', async () => {
    const cwd = certs.dir;
    const db = `sqlite:${join(cwd, 'refusals.db')}`;
    const badDn = await runTessera(
      ['client', 'create', '--db', db, '--name', 'x', '--grant', 'client_credentials'].concat([
        '--auth-method',
        'tls_client_auth',
        '--tls-subject-dn',
        '/CN=x',
      ]),
      { cwd },
    );
    assert.match(failureLine(badDn), /RFC 4514/);
    const serve = await runTessera(
      ['serve', '--port', '0', '--db', db, '--tls-client-ca', certs.ca.certFile],
      { cwd },
    );
    assert.notEqual(serve.code, 0);
    assert.match(serve.stderr, /tls-client-ca: needs --tls-cert and --tls-key, or --trusted-proxy/);
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../config/server-config.js';
import { baseUrlFor, parseGatewayConfig } from './gateway-config.js';

const GOOD = {
  issuer: 'https://auth.example.com/',
  audience: 'billing-api',
  upstream: 'http://127.0.0.1:9000',
  credentials: { client_id: 'cli_1', client_secret: 'tcs_1' },
  routes: [
    { method: 'GET', path: '/v1/charges', scopes: ['charges:read', 'charges:read'] },
    { method: 'GET', path: '/health', public: true },
  ],
};

function problems(raw: unknown): readonly string[] {
  try {
    parseGatewayConfig(raw, { baseDir: '/' });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return assert.fail('the config was accepted');
}

describe('parseGatewayConfig', () => {
  it('applies the defaults and normalises what it may', () => {
    const config = parseGatewayConfig(GOOD, { baseDir: '/' });
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 8081 });
    assert.equal(config.issuer, 'https://auth.example.com');
    assert.equal(config.upstream, 'http://127.0.0.1:9000');
    assert.deepEqual(config.schemes, ['bearer']);
    assert.deepEqual(config.routes[0]?.scopes, ['charges:read']);
    assert.equal(config.routes[1]?.public, true);
    assert.equal(config.upstreamTimeoutMs, 30_000);
    assert.equal(baseUrlFor(config, 8081), 'http://127.0.0.1:8081');
  });

  it('accepts http issuers on loopback only', () => {
    for (const issuer of [
      'http://127.0.0.1:8080',
      'http://localhost:8080',
      'http://[::1]:8080',
      'http://127.1.2.3',
    ]) {
      assert.equal(parseGatewayConfig({ ...GOOD, issuer }, { baseDir: '/' }).issuer, issuer);
    }
    assert.match(problems({ ...GOOD, issuer: 'http://10.0.0.1:8080' })[0] ?? '', /must be https/);
    assert.match(problems({ ...GOOD, issuer: 'http://127.0.0.1.evil.example' })[0] ?? '', /must be https/);
  });

  it('reads upstream_timeout as a duration', () => {
    assert.equal(
      parseGatewayConfig({ ...GOOD, upstream_timeout: '500ms' }, { baseDir: '/' }).upstreamTimeoutMs,
      500,
    );
    assert.equal(
      parseGatewayConfig({ ...GOOD, upstream_timeout: '2m' }, { baseDir: '/' }).upstreamTimeoutMs,
      120_000,
    );
    assert.match(problems({ ...GOOD, upstream_timeout: 30 })[0] ?? '', /upstream_timeout/);
    assert.match(problems({ ...GOOD, upstream_timeout: '0s' })[0] ?? '', /upstream_timeout/);
  });

  it('takes the resource identifier as given, and refuses one with a path', () => {
    const config = parseGatewayConfig({ ...GOOD, resource: 'https://api.example.com/' }, { baseDir: '/' });
    assert.equal(baseUrlFor(config, 8081), 'https://api.example.com');
    assert.match(
      problems({ ...GOOD, resource: 'https://api.example.com/billing' })[0] ?? '',
      /resource: must be an origin/,
    );
  });

  it('refuses the gateway’s own metadata path as a route', () => {
    assert.match(
      problems({
        ...GOOD,
        routes: [{ method: 'GET', path: '/.well-known/oauth-protected-resource', public: true }],
      })[0] ?? '',
      /served by the gateway itself/,
    );
  });

  it('says which member is wrong, one line each', () => {
    assert.deepEqual(problems({ ...GOOD, audience: '', listen: { port: -1 }, sigv4: { region: 'x' } }), [
      'listen.port: must be a whole number from 0 to 65535',
      'audience: must be a non-empty string',
      'sigv4.service: required',
    ]);
  });
});

describe('parseGatewayConfig: client certificates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-gateway-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      'key.pem',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=Test CA',
    ]),
    { cwd: dir, stdio: 'pipe' },
  );
  writeFileSync(join(dir, 'not-pem.txt'), 'hello');
  const parse = (raw: object) => parseGatewayConfig({ ...GOOD, ...raw }, { baseDir: dir });
  const problemsIn = (raw: object) => {
    try {
      parse(raw);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
    return assert.fail('the config was accepted');
  };

  it('serves the mtls scheme with tls.client_ca, over HTTPS or behind a trusted proxy', () => {
    const direct = parse({ schemes: ['mtls'], tls: { cert: 'ca.pem', key: 'key.pem', client_ca: 'ca.pem' } });
    assert.ok(direct.tls?.clientCa);
    assert.deepEqual(direct.clientCertificates?.trustedProxies, []);
    const proxied = parse({
      schemes: ['bearer', 'mtls'],
      tls: { client_ca: 'ca.pem' },
      trusted_proxies: ['10.0.0.5', '::1'],
    });
    assert.equal(proxied.tls, undefined);
    assert.deepEqual(proxied.clientCertificates?.trustedProxies, ['10.0.0.5', '::1']);
    assert.equal(baseUrlFor(proxied, 8081), 'http://127.0.0.1:8081');
  });

  it('says what is missing or wrong', () => {
    assert.deepEqual(problemsIn({ schemes: ['mtls'] }), [
      'schemes: the mtls scheme needs tls.client_ca, the CA client certificates must chain to',
    ]);
    assert.deepEqual(problemsIn({ trusted_proxies: ['10.0.0.5'] }), [
      'trusted_proxies: needs tls.client_ca, the CA forwarded client certificates must chain to',
    ]);
    assert.match(
      problemsIn({ trusted_proxies: ['proxy.internal'] }).join('\n'),
      /trusted_proxies: must be an array of IP addresses/,
    );
    // client_ca alone is only for a gateway behind a TLS-terminating proxy.
    assert.match(problemsIn({ tls: { client_ca: 'ca.pem' } }).join('\n'), /tls\.cert: required/);
    assert.deepEqual(problemsIn({ tls: { client_ca: 'ca.pem', extra: 1 }, trusted_proxies: ['10.0.0.5'] }), [
      'tls: unknown member "extra"',
    ]);
    assert.match(
      problemsIn({ tls: { cert: 'ca.pem', key: 'key.pem', client_ca: 'not-pem.txt' } }).join('\n'),
      /tls\.client_ca: not-pem\.txt is not a bundle of PEM certificates/,
    );
  });
});

describe('parseGatewayConfig: the DPoP nonce key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-gateway-dpop-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const key = Buffer.alloc(32, 7);
  writeFileSync(join(dir, 'nonce.key'), key, { mode: 0o600 });
  writeFileSync(join(dir, 'short.key'), key.subarray(0, 31), { mode: 0o600 });
  writeFileSync(join(dir, 'shared.key'), key);
  chmodSync(join(dir, 'shared.key'), 0o640);
  const parse = (dpop: unknown) => parseGatewayConfig({ ...GOOD, dpop }, { baseDir: dir });
  const problemsIn = (dpop: unknown) => {
    try {
      parse(dpop);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
    return assert.fail('the config was accepted');
  };

  it('reads the key file relative to the config, and has none by default', () => {
    assert.deepEqual(parse({ nonce_key_file: 'nonce.key' }).dpop?.nonceKey, key);
    assert.equal(parseGatewayConfig(GOOD, { baseDir: dir }).dpop, undefined);
  });

  it('refuses a bad key file, one line each', () => {
    assert.deepEqual(problemsIn({ nonce_key_file: 'missing.key' }), [
      'dpop.nonce_key_file: cannot read missing.key (ENOENT)',
    ]);
    assert.deepEqual(problemsIn({ nonce_key_file: 'short.key' }), [
      'dpop.nonce_key_file: short.key must hold at least 32 random bytes (openssl rand -out FILE 32)',
    ]);
    assert.deepEqual(problemsIn({ nonce_key_file: 'shared.key' }), [
      'dpop.nonce_key_file: shared.key may be read by other users (mode 640); run: chmod 600 shared.key',
    ]);
    assert.deepEqual(problemsIn({ nonce_key_file: '' }), ['dpop.nonce_key_file: must be a non-empty string']);
    assert.deepEqual(problemsIn({}), ['dpop.nonce_key_file: required']);
    assert.deepEqual(problemsIn({ nonce_key_file: 'nonce.key', nonces: false }), [
      'dpop: unknown member "nonces"',
    ]);
    assert.deepEqual(problemsIn('nonce.key'), ['dpop: must be an object {"nonce_key_file": FILE}']);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

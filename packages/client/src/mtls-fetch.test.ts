import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMtlsFetch } from './mtls-fetch.js';
import { createTokenSource, type TokenSourceOptions } from './token-source.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMA==\n-----END PRIVATE KEY-----\n';

describe('createTokenSource: the certificate methods', () => {
  const base = { issuer: 'https://as.example', clientId: 'cli_1' };

  it('checks the options at once', () => {
    const refused = (options: object, pattern: RegExp) =>
      assert.throws(() => createTokenSource(options as TokenSourceOptions), pattern);
    refused({ ...base, authMethod: 'tls_client_auth' }, /needs tls: \{ cert, key \}/);
    refused(
      { ...base, authMethod: 'tls_client_auth', clientSecret: 's', tls: { cert: PEM, key: KEY } },
      /give no clientSecret/,
    );
    refused(
      { ...base, authMethod: 'tls_client_auth', tls: { cert: PEM, key: KEY }, fetch },
      /tls or fetch, not both/,
    );
    refused(
      {
        ...base,
        issuer: 'http://127.0.0.1:8080',
        authMethod: 'tls_client_auth',
        tls: { cert: PEM, key: KEY },
      },
      /https only/,
    );
    refused({ ...base, authMethod: 'tls_client_auth', tls: { cert: 'not pem', key: KEY } }, /PEM/);
    refused({ ...base }, /clientSecret must be a non-empty string/);
    assert.ok(
      createTokenSource({ ...base, authMethod: 'self_signed_tls_client_auth', tls: { cert: PEM, key: KEY } }),
    );
  });

  it('sends the client_id alone, to the mTLS alias of the token endpoint', async () => {
    const seen: { url: string; body: string }[] = [];
    const fakeFetch = (async (input: string, init: RequestInit = {}) => {
      seen.push({ url: String(input), body: String(init.body ?? '') });
      if (String(input).endsWith('/.well-known/oauth-authorization-server')) {
        return Response.json({
          issuer: base.issuer,
          token_endpoint: 'https://as.example/token',
          mtls_endpoint_aliases: { token_endpoint: 'https://mtls.as.example/token' },
        });
      }
      return Response.json({ access_token: 'at', token_type: 'Bearer', expires_in: 60 });
    }) as typeof fetch;
    const token = await createTokenSource({
      ...base,
      authMethod: 'tls_client_auth',
      fetch: fakeFetch,
    }).getToken();
    assert.equal(token, 'at');
    assert.equal(seen[1]?.url, 'https://mtls.as.example/token');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(seen[1]?.body)), {
      grant_type: 'client_credentials',
      client_id: 'cli_1',
    });
    // A secret client keeps the plain endpoint.
    seen.length = 0;
    await createTokenSource({ ...base, clientSecret: 's', fetch: fakeFetch }).getToken();
    assert.equal(seen[1]?.url, 'https://as.example/token');
  });
});

describe('createMtlsFetch', () => {
  it('wants PEM', () => {
    assert.throws(() => createMtlsFetch({ cert: 'x', key: KEY }), /PEM/);
    assert.throws(() => createMtlsFetch(null as never), /cert, key/);
  });

  it('sends no body it cannot write as is, and nothing but https', async () => {
    const mtlsFetch = createMtlsFetch({ cert: PEM, key: KEY });
    await assert.rejects(
      mtlsFetch('https://127.0.0.1:1/', { method: 'POST', body: new Blob(['x']) }),
      /bodies/,
    );
    await assert.rejects(mtlsFetch('http://127.0.0.1:1/'), /https only/);
  });
});

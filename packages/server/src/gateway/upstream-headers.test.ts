import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './upstream-headers.js';

const names = (headers: readonly string[]) =>
  headers.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
const identity = { subject: 'svc_1', clientId: 'cli_1', scopes: ['a', 'b'], scheme: 'bearer' };
const forwarded = { remoteAddress: '10.0.0.1', proto: 'https' } as const;

describe('upstreamRequestHeaders', () => {
  it('drops credentials, identity copies, hop-by-hop headers and those Connection names, in any case', () => {
    const headers = upstreamRequestHeaders(
      [
        'Host',
        'gw.example',
        'X-Private',
        'p',
        'Connection',
        'keep-alive, X-Private',
        'AUTHORIZATION',
        'Bearer t',
        'x-api-key',
        'k',
        'X-Auth-Subject',
        'admin',
        'x-auth-subject',
        'root',
        'X-AUTH-SCOPES',
        'all',
        'x-auth-client-id',
        'c',
        'x-auth-scheme',
        'mtls',
        'TE',
        'trailers',
        'Transfer-Encoding',
        'chunked',
        'Expect',
        '100-continue',
        'Accept',
        'text/plain',
      ],
      identity,
      forwarded,
    );
    assert.ok(headers);
    assert.deepEqual(headers, [
      'Accept',
      'text/plain',
      'x-auth-subject',
      'svc_1',
      'x-auth-client-id',
      'cli_1',
      'x-auth-scopes',
      'a b',
      'x-auth-scheme',
      'bearer',
      'x-forwarded-for',
      '10.0.0.1',
      'x-forwarded-proto',
      'https',
      'x-forwarded-host',
      'gw.example',
    ]);
  });

  it('appends to the caller’s x-forwarded-for and replaces its -proto and -host', () => {
    const headers = upstreamRequestHeaders(
      [
        'X-Forwarded-For',
        '1.1.1.1',
        'x-forwarded-for',
        '2.2.2.2',
        'X-Forwarded-Proto',
        'http',
        'X-Forwarded-Host',
        'evil',
      ],
      undefined,
      forwarded,
    );
    assert.deepEqual(headers, [
      'x-forwarded-for',
      '1.1.1.1, 2.2.2.2, 10.0.0.1',
      'x-forwarded-proto',
      'https',
    ]);
  });

  it('leaves x-auth-client-id out when there is no client, and sets no identity without one', () => {
    const headers = upstreamRequestHeaders([], { ...identity, clientId: undefined }, forwarded) ?? [];
    assert.ok(!names(headers).includes('x-auth-client-id'));
    assert.ok(names(headers).includes('x-auth-subject'));
    assert.deepEqual(names(upstreamRequestHeaders([], undefined, forwarded) ?? []), [
      'x-forwarded-for',
      'x-forwarded-proto',
    ]);
  });

  it('refuses an identity that would break a header line', () => {
    assert.equal(
      upstreamRequestHeaders([], { ...identity, subject: 'a\r\nx-auth-scopes: admin' }, forwarded),
      undefined,
    );
    assert.equal(upstreamRequestHeaders([], { ...identity, clientId: 'é' }, forwarded), undefined);
  });
});

describe('downstreamResponseHeaders', () => {
  it('drops hop-by-hop headers and those Connection names, keeping order, case and repeats', () => {
    assert.deepEqual(
      downstreamResponseHeaders([
        'Content-Type',
        'text/plain',
        'Connection',
        'keep-alive, X-Hop',
        'X-Hop',
        'secret',
        'Keep-Alive',
        'timeout=5',
        'Transfer-Encoding',
        'chunked',
        'Set-Cookie',
        'a=1',
        'set-cookie',
        'b=2',
      ]),
      ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2'],
    );
  });
});

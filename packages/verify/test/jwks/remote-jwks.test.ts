// RemoteJwks over the real wire: a node:http JWKS server on 127.0.0.1.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createRemoteJwks, type RemoteJwksOptions, type VerificationKey } from '../../src/index.js';

const publicJwk = (kid: string): JsonWebKey => ({
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
  kid,
  alg: 'ES256',
  use: 'sig',
});
const K1 = publicJwk('k1');
const K2 = publicJwk('k2');

type Handler = (request: IncomingMessage, response: ServerResponse) => void;
const jwks =
  (keys: unknown[], headers: Record<string, string> = {}): Handler =>
  (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify({ keys }));
  };

let server: Server;
let base = '';
let handler: Handler = jwks([K1]);
let fetches = 0;

before(async () => {
  server = createServer((request, response) => {
    fetches += 1;
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  fetches = 0;
  handler = jwks([K1]);
});

function source(options: Partial<RemoteJwksOptions> = {}) {
  let clock = 1_000_000;
  const errors: string[] = [];
  const remote = createRemoteJwks({
    url: `${base}/jwks`,
    now: () => clock,
    onError: (error) => errors.push(error.message),
    ...options,
  });
  return {
    remote,
    errors,
    advance(seconds: number) {
      clock += seconds * 1000;
    },
  };
}

/** Asserts that a lookup had to fetch, and waits for it so no request outlives its test. */
async function settled(
  value: VerificationKey | undefined | Promise<VerificationKey | undefined>,
  message: string,
) {
  assert.ok(value instanceof Promise, message);
  await value;
}

const resolved = async (value: VerificationKey | undefined | Promise<VerificationKey | undefined>) =>
  await value;

describe('createRemoteJwks', () => {
  it('fetches on first use, then answers synchronously from the cache', async () => {
    const { remote } = source();
    const first = remote.resolve('k1', 'ES256');
    assert.ok(first instanceof Promise);
    assert.equal((await first)?.kid, 'k1');
    const second = remote.resolve('k1', 'ES256');
    assert.ok(!(second instanceof Promise) && second?.kid === 'k1');
    assert.equal(fetches, 1);
  });

  it('shares one fetch among concurrent first callers', async () => {
    const { remote } = source();
    const keys = await Promise.all(Array.from({ length: 50 }, () => resolved(remote.resolve('k1', 'ES256'))));
    assert.ok(keys.every((key) => key?.kid === 'k1'));
    assert.equal(fetches, 1);
  });

  it('finds a new kid after rotation, once the cooldown allows a refetch', async () => {
    const { remote, advance } = source();
    await remote.resolve('k1', 'ES256');
    handler = jwks([K1, K2]);
    advance(10);
    assert.equal(remote.resolve('k2', 'ES256'), undefined, 'within the cooldown: refused at once, no fetch');
    assert.equal(fetches, 1);
    advance(21);
    assert.equal((await remote.resolve('k2', 'ES256'))?.kid, 'k2');
    assert.equal(fetches, 2);
  });

  it('honours Cache-Control max-age', async () => {
    handler = jwks([K1], { 'cache-control': 'public, max-age=300' });
    const { remote, advance } = source();
    await remote.resolve('k1', 'ES256');
    advance(299);
    assert.ok(!(remote.resolve('k1', 'ES256') instanceof Promise));
    advance(2);
    const refreshed = remote.resolve('k1', 'ES256');
    assert.ok(refreshed instanceof Promise);
    assert.equal((await refreshed)?.kid, 'k1');
    assert.equal(fetches, 2);
  });

  it('keeps max-age within bounds', async () => {
    handler = jwks([K1], { 'cache-control': 'max-age=1' });
    const low = source();
    await low.remote.resolve('k1', 'ES256');
    low.advance(59);
    assert.ok(!(low.remote.resolve('k1', 'ES256') instanceof Promise), 'raised to the 60 s floor');
    handler = jwks([K1], { 'cache-control': 'max-age=999999999' });
    const high = source({ maxCacheSeconds: 3600 });
    await high.remote.resolve('k1', 'ES256');
    high.advance(3601);
    await settled(high.remote.resolve('k1', 'ES256'), 'capped at maxCacheSeconds');
    handler = jwks([K1], { 'cache-control': 'no-store' });
    const none = source();
    await none.remote.resolve('k1', 'ES256');
    none.advance(61);
    await settled(none.remote.resolve('k1', 'ES256'), 'no-store means the floor');
  });

  it('uses the default lifetime without max-age', async () => {
    const { remote, advance } = source({ defaultCacheSeconds: 120 });
    await remote.resolve('k1', 'ES256');
    advance(119);
    assert.ok(!(remote.resolve('k1', 'ES256') instanceof Promise));
    advance(2);
    await settled(remote.resolve('k1', 'ES256'), 'expired: refetching');
  });

  it('serves stale keys while refetching fails, up to staleIfErrorSeconds, then none', async () => {
    const { remote, advance, errors } = source({ defaultCacheSeconds: 60, staleIfErrorSeconds: 120 });
    await remote.resolve('k1', 'ES256');
    handler = (_request, response) => {
      response.writeHead(500).end();
    };
    advance(61);
    assert.equal((await remote.resolve('k1', 'ES256'))?.kid, 'k1', 'stale but usable');
    assert.match(errors.join(), /HTTP status 500/);
    advance(10);
    assert.equal(
      remote.resolve('k1', 'ES256')?.constructor.name,
      'VerificationKey',
      'cooldown: stale keys, no fetch',
    );
    assert.equal(fetches, 2);
    advance(120);
    assert.equal(await remote.resolve('k1', 'ES256'), undefined, 'past stale-if-error');
  });

  it('leaves out keys that are not public signature keys, and says why', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    handler = jwks([
      { ...ec.privateKey.export({ format: 'jwk' }), kid: 'private' },
      { kty: 'oct', k: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', kid: 'secret', alg: 'HS256' },
      { ...publicJwk('enc'), use: 'enc' },
      {
        ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }),
        kid: 'small',
        alg: 'RS256',
      },
      K1,
    ]);
    const { remote, errors } = source();
    await remote.refresh();
    assert.deepEqual(
      remote.keys.map((key) => key.kid),
      ['k1'],
    );
    assert.equal(errors.length, 4);
    assert.equal(await remote.resolve('secret', 'HS256'), undefined);
  });

  it('refuses redirects, non-JSON, oversized and malformed responses', async () => {
    const cases: [Handler, RegExp][] = [
      [
        (_q, r) => r.writeHead(302, { location: 'https://attacker.example/jwks' }).end(),
        /fetch failed|redirect/i,
      ],
      [(_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('{"keys":[]}'), /content-type/],
      [(_q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":'), /not JSON/],
      [(_q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end('[]'), /no keys array/],
      [
        (_q, r) =>
          r
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ keys: [K1], pad: 'x'.repeat(300_000) })),
        /too large/,
      ],
      [
        (_q, r) => {
          r.writeHead(200, { 'content-type': 'application/json' });
          r.write(`{"keys":[],"pad":"${'x'.repeat(200_000)}`);
          r.end(`${'x'.repeat(200_000)}"}`);
        },
        /too large/,
      ],
      [
        (_q, r) =>
          r
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ keys: Array(101).fill(K1) })),
        /more than 100/,
      ],
      [
        (_q, r) =>
          r
            .writeHead(200, { 'content-type': 'application/json' })
            .end(Buffer.from('{"keys":[],"x":"\xff"}', 'latin1')),
        /not valid for encoding utf-8/i,
      ],
    ];
    for (const [serve, message] of cases) {
      handler = serve;
      const { remote, errors } = source();
      assert.equal(await remote.resolve('k1', 'ES256'), undefined);
      assert.match(errors.join(' | '), message);
    }
  });

  it('gives up on a server that does not answer in time', async () => {
    handler = () => {}; // never responds
    const { remote, errors } = source({ timeoutMs: 100 });
    assert.equal(await remote.resolve('k1', 'ES256'), undefined);
    assert.match(errors.join(), /abort|timeout/i);
  });

  it('survives an onError that throws', async () => {
    handler = (_request, response) => {
      response.writeHead(500).end();
    };
    const remote = createRemoteJwks({
      url: `${base}/jwks`,
      onError: () => {
        throw new Error('logger down');
      },
    });
    assert.equal(await remote.resolve('k1', 'ES256'), undefined);
  });

  it('answers nothing for a kid shared by two keys', async () => {
    handler = jwks([K1, { ...K2, kid: 'k1' }]);
    const { remote } = source();
    assert.equal(await remote.resolve('k1', 'ES256'), undefined);
  });

  it('checks its options', () => {
    const bad: Partial<RemoteJwksOptions>[] = [
      { url: 'http://auth.example/jwks' },
      { url: 'ftp://127.0.0.1/jwks' },
      { url: 'not a url' },
      { url: 'https://user:pass@auth.example/jwks' },
      { algorithms: [] },
      { algorithms: ['none' as 'ES256'] },
      { cooldownSeconds: -1 },
      { timeoutMs: 0 },
      { minCacheSeconds: 100, maxCacheSeconds: 50 },
      { onError: 'log' as unknown as () => void },
    ];
    for (const options of bad) {
      assert.throws(
        () => createRemoteJwks({ url: `${base}/jwks`, ...options }),
        TypeError,
        JSON.stringify(options),
      );
    }
    assert.doesNotThrow(() => createRemoteJwks({ url: 'https://auth.example/jwks' }));
    assert.doesNotThrow(() => createRemoteJwks({ url: 'http://localhost:8080/jwks' }));
    assert.doesNotThrow(() => createRemoteJwks({ url: 'http://[::1]:8080/jwks' }));
    assert.doesNotThrow(() =>
      createRemoteJwks({ url: 'http://auth.example/jwks', allowInsecureHttpJwksUrl: true }),
    );
  });
});

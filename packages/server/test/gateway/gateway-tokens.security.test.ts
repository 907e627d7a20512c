/**
 * Hostile and malformed tokens sent through the gateway (see ../shared/docs/jwt-threats.md):
 * every one refused with 400 or 401 and an RFC 6750 body, none reaching the upstream, no
 * 5xx, and the gateway still serving afterwards. Tokens with bad claims are signed with the
 * authorization server's own key, so only the claim checks stand between them and the API.
 */
import assert from 'node:assert/strict';
import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { basic, postForm, sqlite, startTestServer, type TestServer } from '../harness.js';
import {
  type EchoUpstream,
  json,
  send,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './gateway-harness.js';

const AUDIENCE = 'billing-api';

const segment = (part: string | object | Buffer) =>
  Buffer.isBuffer(part)
    ? part.toString('base64url')
    : Buffer.from(typeof part === 'string' ? part : JSON.stringify(part)).toString('base64url');

type Signer =
  | { kind: 'es256'; key: KeyObject }
  | { kind: 'hmac'; secret: Buffer | string }
  | { kind: 'raw'; signature: Buffer };

/** A compact JWS with exactly this header and payload (objects JSON-encoded, strings taken as raw JSON). */
function forge(header: string | object, payload: string | object, signer: Signer): string {
  const input = `${segment(header)}.${segment(payload)}`;
  let signature: Buffer;
  if (signer.kind === 'es256') {
    signature = sign('sha256', Buffer.from(input), { key: signer.key, dsaEncoding: 'ieee-p1363' });
  } else if (signer.kind === 'hmac') {
    signature = createHmac('sha256', signer.secret).update(input).digest();
  } else {
    signature = signer.signature;
  }
  return `${input}.${segment(signature)}`;
}

describe('gateway: hostile tokens', () => {
  let t: TestServer;
  let upstream: EchoUpstream;
  let gw: TestGateway;
  let client: { clientId: string; clientSecret: string };
  let other: { clientId: string; clientSecret: string };
  let trusted: { kid: string; key: KeyObject };
  let publicJwk: Record<string, unknown>;
  const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  before(async () => {
    t = await startTestServer(sqlite);
    await t.server.tessera.resourceServers.create({ audience: AUDIENCE, scopes: ['charges:read'] });
    client = await t.createClient({ scopes: ['charges:read'], audiences: [AUDIENCE] });
    other = await t.createClient({ scopes: ['charges:read'], audiences: ['other-api'] });
    const own = await t.createClient({ resourceServer: true });
    const key = t.server.tessera.signingKeys.signingKey('ES256');
    assert.ok(key, 'the server has no ES256 key');
    trusted = { kid: key.kid, key: key.key };
    publicJwk = t.server.tessera.signingKeys.verificationKey(key.kid)?.publicJwk ?? {};
    upstream = await startEchoUpstream();
    gw = await startTestGateway({
      issuer: t.issuer,
      audience: AUDIENCE,
      upstream: upstream.url,
      credentials: { client_id: own.clientId, client_secret: own.clientSecret },
      routes: [{ method: 'GET', path: '/v1/charges', scopes: ['charges:read'] }],
    });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await t?.close();
  });

  const tokenFor = async (who: { clientId: string; clientSecret: string }) => {
    const response = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials' },
      { authorization: basic(who.clientId, who.clientSecret) },
    );
    return ((await response.json()) as { access_token: string }).access_token;
  };

  const now = () => Math.floor(Date.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}, drop: string[] = []) => {
    const base: Record<string, unknown> = {
      iss: t.issuer,
      aud: AUDIENCE,
      sub: client.clientId,
      client_id: client.clientId,
      jti: randomBytes(12).toString('hex'),
      iat: now() - 10,
      exp: now() + 300,
      scope: 'charges:read',
      ...extra,
    };
    for (const name of drop) delete base[name];
    return base;
  };
  const header = (extra: Record<string, unknown> = {}) => ({
    alg: 'ES256',
    typ: 'at+jwt',
    kid: trusted.kid,
    ...extra,
  });
  const es = () => ({ kind: 'es256', key: trusted.key }) as const;
  const signedBy = (payload: string | object, head: string | object = header()) => forge(head, payload, es());

  /** The corpus: each a name and the full `Authorization` header value (or `null` for none). */
  const corpus = async (): Promise<[string, string][]> => {
    // A token whose signature holds a '-' or '_' (about 94% of them), so that the
    // standard-alphabet case below really differs from it.
    let real = await tokenFor(client);
    for (let tries = 0; tries < 50 && !/[-_]/.test(real); tries++) real = await tokenFor(client);
    assert.match(real, /[-_]/);
    const [h = '', p = '', s = ''] = real.split('.');
    const bearer = (token: string) => `Bearer ${token}`;
    const cases: [string, string][] = [
      // Signed with the trusted key, claims wrong.
      ['expired an hour ago', signedBy(claims({ exp: now() - 3600, iat: now() - 4000 }))],
      ['not valid before an hour from now', signedBy(claims({ nbf: now() + 3600 }))],
      ['issued an hour in the future', signedBy(claims({ iat: now() + 3600 }))],
      ['another issuer', signedBy(claims({ iss: 'https://evil.example' }))],
      ['issuer with a trailing slash', signedBy(claims({ iss: `${t.issuer}/` }))],
      ['issuer as an array', signedBy(claims({ iss: [t.issuer] }))],
      ['another audience', signedBy(claims({ aud: 'other-api' }))],
      ['audience array without ours', signedBy(claims({ aud: ['other-api', 'third-api'] }))],
      ['audience a number', signedBy(claims({ aud: 7 }))],
      ['no iss', signedBy(claims({}, ['iss']))],
      ['no aud', signedBy(claims({}, ['aud']))],
      ['no exp', signedBy(claims({}, ['exp']))],
      ['no sub', signedBy(claims({}, ['sub']))],
      ['no iat', signedBy(claims({}, ['iat']))],
      ['no jti', signedBy(claims({}, ['jti']))],
      ['no client_id', signedBy(claims({}, ['client_id']))],
      ['exp a string', signedBy(claims({ exp: String(now() + 300) }))],
      ['exp overflowing to Infinity', signedBy(JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e400'))],
      ['sub a number', signedBy(claims({ sub: 42 }))],
      ['payload a JSON array', signedBy('[1,2,3]')],
      ['payload null', signedBy('null')],
      ['payload not JSON', signedBy('{"sub":')],
      ['duplicate exp member, expired last', signedBy(`${JSON.stringify(claims()).slice(0, -1)},"exp":1}`)],
      ['bound to a key (cnf)', signedBy(claims({ cnf: { jkt: 'x'.repeat(43) } }))],
      // Header tricks, signed with the trusted key.
      ['typ JWT (an ID token or another JWT)', signedBy(claims(), header({ typ: 'JWT' }))],
      ['typ absent', signedBy(claims(), { alg: 'ES256', kid: trusted.kid })],
      ['typ with a trailing space', signedBy(claims(), header({ typ: 'at+jwt ' }))],
      ['crit naming exp', signedBy(claims(), header({ crit: ['exp'], exp: 1 }))],
      ['b64 false', signedBy(claims(), header({ b64: false, crit: ['b64'] }))],
      ['nested JWT (cty JWT)', signedBy(claims(), header({ cty: 'JWT' }))],
      [
        'duplicate alg: none first',
        signedBy(claims(), `{"alg":"none","typ":"at+jwt","kid":"${trusted.kid}","alg":"ES256"}`),
      ],
      ['header an array', signedBy(claims(), '[]')],
      [
        'header nested 50 deep',
        signedBy(claims(), header({ x: JSON.parse(`${'{"n":'.repeat(50)}1${'}'.repeat(50)}`) })),
      ],
      [
        'kid path traversal',
        forge({ alg: 'HS256', typ: 'at+jwt', kid: '../../../../dev/null' }, claims(), {
          kind: 'hmac',
          secret: '',
        }),
      ],
      ['kid SQL injection', signedBy(claims(), header({ kid: "x' UNION SELECT 'k' --" }))],
      ['kid with NUL', signedBy(claims(), header({ kid: `${trusted.kid}\u0000` }))],
      ['kid empty', signedBy(claims(), header({ kid: '' }))],
      ['kid of 200 characters', signedBy(claims(), header({ kid: 'k'.repeat(200) }))],
      // Algorithm attacks.
      ['alg none, empty signature', `${segment({ alg: 'none', typ: 'at+jwt' })}.${segment(claims())}.`],
      ['alg None with a signature', forge({ alg: 'None', typ: 'at+jwt', kid: trusted.kid }, claims(), es())],
      ['alg ES384 for the ES256 key', signedBy(claims(), header({ alg: 'ES384' }))],
      ['alg es256 in lower case', signedBy(claims(), header({ alg: 'es256' }))],
      ['alg absent', signedBy(claims(), { typ: 'at+jwt', kid: trusted.kid })],
      [
        'EC/HS confusion: HS256 MACed with the public JWK JSON',
        forge(header({ alg: 'HS256' }), claims(), { kind: 'hmac', secret: JSON.stringify(publicJwk) }),
      ],
      [
        'EC/HS confusion: HS256 MACed with the public key PEM',
        forge(header({ alg: 'HS256' }), claims(), {
          kind: 'hmac',
          secret: createPublicPem(publicJwk),
        }),
      ],
      [
        'signed by the attacker under the trusted kid',
        forge(header(), claims(), { kind: 'es256', key: attacker.privateKey }),
      ],
      [
        'jwk header with the attacker key, signed by the attacker',
        forge(header({ jwk: attacker.publicKey.export({ format: 'jwk' }) }), claims(), {
          kind: 'es256',
          key: attacker.privateKey,
        }),
      ],
      [
        'jku pointing at the attacker',
        forge(header({ jku: 'https://evil.example/jwks' }), claims(), {
          kind: 'es256',
          key: attacker.privateKey,
        }),
      ],
      [
        'x5u pointing at the attacker',
        forge(header({ x5u: 'https://evil.example/cert' }), claims(), {
          kind: 'es256',
          key: attacker.privateKey,
        }),
      ],
      ['ECDSA r = s = 0', forge(header(), claims(), { kind: 'raw', signature: Buffer.alloc(64) })],
      [
        'ECDSA signature in DER',
        forge(header(), claims(), { kind: 'raw', signature: derSignature(header(), claims()) }),
      ],
      // Tampering with a real token from the server.
      [
        'payload swapped after signing',
        `${h}.${segment({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'charges:read admin' })}.${s}`,
      ],
      ['signature truncated', `${h}.${p}.${s.slice(0, -4)}`],
      ['signature empty', `${h}.${p}.`],
      ['signature of another token', `${h}.${p}.${(await tokenFor(client)).split('.')[2]}`],
      ['padding on the signature', `${real}=`],
      ['standard base64 alphabet', real.replace(/-/g, '+').replace(/_/g, '/')],
      ['four segments', `${real}.AAAA`],
      ['two segments', `${h}.${p}`],
      ['many dots', '.'.repeat(5000)],
      ['oversized: 12 000 characters', `${h}.${segment({ pad: 'x'.repeat(9000) })}.${s}`],
      ['a real token for another audience', await tokenFor(other)],
      [
        'random opaque value',
        `tat_${randomBytes(32).toString('base64url')}.${randomBytes(16).toString('base64url')}`,
      ],
      [
        'opaque-looking value with a forged MAC',
        `tat_${randomBytes(32).toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`,
      ],
    ].map(([name, token]) => [name as string, bearer(token as string)]);
    // Header shapes around a real token.
    cases.push(
      ['Bearer with no token', 'Bearer'],
      ['Bearer and spaces only', 'Bearer   '],
      ['two tokens', `Bearer ${real} ${real}`],
      ['token with an inner space', `Bearer ${h}. ${p}.${s}`],
      ['token with a tab', `Bearer ${h}.\t${p}.${s}`],
      ['non-ASCII in the token', `Bearer ${h}.${p}é.${s}`],
      ['Bearer prefix twice', `Bearer Bearer ${real}`],
      ['a comma-joined pair', `Bearer ${real}, Bearer ${real}`],
      ['scheme only Basic', `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['unknown scheme', `Token ${real}`],
    );
    return cases;
  };

  it('refuses every hostile token with 400 or 401, never a 5xx, and never calls the upstream', async () => {
    const cases = await corpus();
    assert.ok(cases.length >= 40, `only ${cases.length} cases`);
    const before = upstream.count();
    for (const [name, authorization] of cases) {
      const response = await send(gw.url, { path: '/v1/charges', headers: ['Authorization', authorization] });
      assert.ok([400, 401].includes(response.status), `${name}: status ${response.status} ${response.body}`);
      const body = json(response);
      assert.ok(['invalid_token', 'invalid_request'].includes(body.error), `${name}: ${body.error}`);
      assert.match(response.headers['www-authenticate'] ?? '', /^Bearer/, name);
    }
    assert.equal(upstream.count(), before, 'a hostile token reached the upstream');
    // Still serving, and a good token still works.
    const good = await send(gw.url, {
      path: '/v1/charges',
      headers: ['Authorization', `Bearer ${await tokenFor(client)}`],
    });
    assert.equal(good.status, 200);
    const logs = gw.logs();
    assert.doesNotMatch(logs, /"level":50/, 'the gateway logged an error');
  });

  it('survives a storm of unknown kids without hammering the JWKS', async () => {
    const jwksFetches = () =>
      t
        .logs()
        .split('\n')
        .filter((line) => line.includes('"path":"/jwks"')).length;
    const fetchesBefore = jwksFetches();
    const responses = await Promise.all(
      Array.from({ length: 60 }, () =>
        send(gw.url, {
          path: '/v1/charges',
          headers: [
            'Authorization',
            `Bearer ${forge(header({ kid: randomBytes(8).toString('hex') }), claims(), { kind: 'es256', key: attacker.privateKey })}`,
          ],
        }),
      ),
    );
    for (const response of responses) assert.equal(response.status, 401);
    assert.ok(
      jwksFetches() - fetchesBefore <= 2,
      `${jwksFetches() - fetchesBefore} JWKS fetches for 60 unknown kids`,
    );
  });

  function derSignature(head: object, payload: object): Buffer {
    return sign('sha256', Buffer.from(`${segment(head)}.${segment(payload)}`), {
      key: trusted.key,
      dsaEncoding: 'der',
    });
  }
});

function createPublicPem(jwk: Record<string, unknown>): string {
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

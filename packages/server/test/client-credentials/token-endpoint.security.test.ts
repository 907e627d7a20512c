/**
 * Hostile and malformed requests to the token, introspection and revocation endpoints:
 * each gets the RFC's error, never a 5xx, never a stack trace, never a credential echoed.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { generateKeyPair, SignJWT } from 'jose';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

async function expectError(response: Response, status: number, error: string, what: string) {
  const text = await response.text();
  assert.equal(response.status, status, `${what}: status ${response.status} ${text}`);
  const body = JSON.parse(text);
  assert.equal(body.error, error, `${what}: ${text}`);
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], what);
  assert.equal(response.headers.get('cache-control'), 'no-store', what);
  assert.ok(!/at .+\.(ts|js):\d+/.test(text), `${what}: a stack trace leaked`);
  return body;
}

describeEachDatabase('token endpoint under hostile input', (db) => {
  let t: TestServer;
  let client: { clientId: string; clientSecret: string };
  let other: { clientId: string; clientSecret: string };
  let auth: string;
  let token: string;

  before(async () => {
    t = await startTestServer(db);
    client = await t.createClient({ scopes: ['read', 'write'], audiences: ['api'] });
    other = await t.createClient({ scopes: [], audiences: [] });
    auth = basic(client.clientId, client.clientSecret);
    const response = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials' },
      { authorization: auth },
    );
    token = (await response.json()).access_token;
  });
  after(() => t.close());

  const token_ = (
    form: Record<string, string> | string,
    headers: Record<string, string> = { authorization: auth },
  ) => postForm(`${t.issuer}/token`, form, headers);

  it('refuses missing, repeated and malformed parameters with invalid_request', async () => {
    const cases: [string, Record<string, string> | string][] = [
      ['missing grant_type', { scope: 'read' }],
      ['empty grant_type', 'grant_type='],
      ['repeated grant_type', 'grant_type=client_credentials&grant_type=client_credentials'],
      ['repeated scope', 'grant_type=client_credentials&scope=read&scope=write'],
      ['repeated client_id', `grant_type=client_credentials&client_id=${client.clientId}&client_id=x`],
      ['malformed percent escape', 'grant_type=client_credentials&scope=%zz'],
      ['empty resource', 'grant_type=client_credentials&resource='],
      ['client_id differing from Basic', `grant_type=client_credentials&client_id=${other.clientId}`],
    ];
    for (const [what, form] of cases) await expectError(await token_(form), 400, 'invalid_request', what);
  });

  it('refuses bodies that are not a form, and bodies over the size limit', async () => {
    const post = (body: string | undefined, contentType: string | undefined) =>
      fetch(`${t.issuer}/token`, {
        method: 'POST',
        headers: { authorization: auth, ...(contentType ? { 'content-type': contentType } : {}) },
        ...(body === undefined ? {} : { body }),
      });
    await expectError(
      await post('{"grant_type":"client_credentials"}', 'application/json'),
      400,
      'invalid_request',
      'JSON',
    );
    await expectError(
      await post('grant_type=client_credentials', 'text/plain'),
      400,
      'invalid_request',
      'text/plain',
    );
    await expectError(await post(undefined, undefined), 400, 'invalid_request', 'no body');
    const huge = `grant_type=client_credentials&scope=${'a'.repeat(64 * 1024)}`;
    await expectError(
      await post(huge, 'application/x-www-form-urlencoded'),
      413,
      'invalid_request',
      'huge body',
    );
  });

  it('refuses parameters in the URL, without logging them', async () => {
    const response = await postForm(
      `${t.issuer}/token?client_secret=${client.clientSecret}`,
      { grant_type: 'client_credentials' },
      { authorization: auth },
    );
    await expectError(response, 400, 'invalid_request', 'query string');
    assert.ok(!t.logs().includes(client.clientSecret));
  });

  it('answers unknown and unsupported grants with unsupported_grant_type, disallowed ones with unauthorized_client', async () => {
    for (const grant of ['password', 'implicit', 'urn:example:nonsense']) {
      await expectError(await token_({ grant_type: grant }), 400, 'unsupported_grant_type', grant);
    }
    const codeOnly = await t.createClient({
      grantTypes: ['authorization_code'],
      redirectUris: ['https://app.example/cb'],
    });
    await expectError(
      await token_(
        { grant_type: 'client_credentials' },
        { authorization: basic(codeOnly.clientId, codeOnly.clientSecret) },
      ),
      400,
      'unauthorized_client',
      'client without the grant',
    );
  });

  it('answers every failed client authentication alike: 401 invalid_client with a Basic challenge', async () => {
    const forged = `tcs_${'A'.repeat(43)}.${'B'.repeat(22)}`;
    const cases: [string, Record<string, string>, Record<string, string>][] = [
      ['no authentication', { grant_type: 'client_credentials' }, {}],
      [
        'unknown client',
        { grant_type: 'client_credentials' },
        { authorization: basic('cli_nobody', client.clientSecret) },
      ],
      [
        'another client secret',
        { grant_type: 'client_credentials' },
        { authorization: basic(client.clientId, other.clientSecret) },
      ],
      [
        'forged secret',
        { grant_type: 'client_credentials' },
        { authorization: basic(client.clientId, forged) },
      ],
      [
        'garbage secret',
        { grant_type: 'client_credentials' },
        { authorization: basic(client.clientId, 'hunter2') },
      ],
      ['empty secret', { grant_type: 'client_credentials' }, { authorization: basic(client.clientId, '') }],
      ['Basic not base64', { grant_type: 'client_credentials' }, { authorization: 'Basic %%%not-base64%%%' }],
      [
        'Basic without colon',
        { grant_type: 'client_credentials' },
        { authorization: `Basic ${Buffer.from('abc').toString('base64')}` },
      ],
      [
        'Bearer at the token endpoint',
        { grant_type: 'client_credentials' },
        { authorization: `Bearer ${token}` },
      ],
      [
        'NUL in client id',
        { grant_type: 'client_credentials' },
        { authorization: basic(`${client.clientId}\u0000`, client.clientSecret) },
      ],
      [
        'long client id',
        { grant_type: 'client_credentials' },
        { authorization: basic('x'.repeat(6000), client.clientSecret) },
      ],
      [
        'secret_post for a basic client',
        { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret },
        {},
      ],
      [
        'malformed assertion',
        { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: 'abc' },
        {},
      ],
      [
        'wrong assertion type',
        { grant_type: 'client_credentials', client_assertion_type: 'urn:x', client_assertion: 'a.b.c' },
        {},
      ],
      [
        'assertion for a secret client',
        {
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER,
          client_assertion: await selfSigned(client.clientId, t),
        },
        {},
      ],
    ];
    for (const [what, form, headers] of cases) {
      const response = await token_(form, headers);
      await expectError(response, 401, 'invalid_client', what);
      assert.equal(response.headers.get('www-authenticate'), 'Basic realm="tessera"', what);
    }
  });

  it('refuses more than one authentication method, and an assertion without its type', async () => {
    await expectError(
      await token_({ grant_type: 'client_credentials', client_secret: client.clientSecret }),
      400,
      'invalid_request',
      'Basic and client_secret',
    );
    await expectError(
      await token_({ grant_type: 'client_credentials', client_assertion: 'a.b.c' }, {}),
      400,
      'invalid_request',
      'assertion without type',
    );
  });

  it('refuses two Authorization headers', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const body = 'grant_type=client_credentials';
      const req = httpRequest(
        `${t.issuer}/token`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': String(body.length),
            authorization: [auth, basic(other.clientId, other.clientSecret)],
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(status, 400);
  });

  it('answers invalid_scope and invalid_target for what the client may not have', async () => {
    await expectError(
      await token_({ grant_type: 'client_credentials', scope: 'admin' }),
      400,
      'invalid_scope',
      'admin',
    );
    await expectError(
      await token_({ grant_type: 'client_credentials', scope: 'read  write' }),
      400,
      'invalid_scope',
      'double space',
    );
    // A NUL byte is refused with the form itself, before any parameter is read.
    await expectError(
      await token_({ grant_type: 'client_credentials', scope: 'read\u0000' }),
      400,
      'invalid_request',
      'NUL',
    );
    await expectError(
      await token_({ grant_type: 'client_credentials', resource: 'other-api' }),
      400,
      'invalid_target',
      'other api',
    );
    await expectError(
      await token_('grant_type=client_credentials&resource=api&resource=api2'),
      400,
      'invalid_target',
      'two resources',
    );
  });

  it('answers other methods with 405 and unknown paths with 404, as JSON', async () => {
    const get = await fetch(`${t.issuer}/token`);
    await expectError(get, 405, 'invalid_request', 'GET /token');
    const missing = await fetch(`${t.issuer}/nothing-here`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error, 'not_found');
  });

  it('introspection and revocation require client authentication and a token', async () => {
    for (const path of ['/introspect', '/revoke']) {
      await expectError(
        await postForm(`${t.issuer}${path}`, { token }),
        401,
        'invalid_client',
        `${path} anonymous`,
      );
      await expectError(
        await postForm(`${t.issuer}${path}`, {}, { authorization: auth }),
        400,
        'invalid_request',
        `${path} no token`,
      );
      await expectError(
        await postForm(`${t.issuer}${path}`, `token=${token}&token=${token}`, { authorization: auth }),
        400,
        'invalid_request',
        `${path} repeated token`,
      );
    }
  });

  it('introspection reports forged, altered and malformed tokens inactive', async () => {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const { privateKey } = await generateKeyPair('ES256');
    const kid = JSON.parse(Buffer.from(header, 'base64url').toString()).kid;
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const hostile = [
      'garbage',
      '',
      `${header}.${b64({ ...claims, scope: 'read write admin' })}.${signature}`,
      `${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`,
      `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${payload}.${signature}`,
      await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(privateKey),
      `${header}.${payload}.${signature.slice(0, -4)}AAAA`,
      `${token}.extra`,
      'a'.repeat(20000),
      `tat_${'A'.repeat(43)}.${'B'.repeat(22)}`,
    ];
    for (const candidate of hostile) {
      const response = await postForm(
        `${t.issuer}/introspect`,
        { token: candidate || 'x' },
        { authorization: auth },
      );
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { active: false });
    }
  });

  it('never answers 5xx to arbitrary forms and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        fc.constantFrom('/token', '/introspect', '/revoke'),
        async (body, authorization, path) => {
          const headers: Record<string, string> = {};
          // fetch refuses header values with control characters; the server never sees them.
          if (authorization !== undefined && isPrintableAscii(authorization)) {
            headers.authorization = authorization;
          }
          const response = await postForm(`${t.issuer}${path}`, body, headers);
          await response.arrayBuffer();
          assert.ok(response.status < 500, `${path} answered ${response.status} to ${JSON.stringify(body)}`);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** An assertion signed with a fresh key, for a client that has no keys registered. */
async function selfSigned(clientId: string, t: TestServer): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(t.issuer)
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(privateKey);
}

const isPrintableAscii = (text: string) => [...text].every((char) => char >= ' ' && char <= '~');

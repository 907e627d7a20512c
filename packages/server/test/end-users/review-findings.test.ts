/**
 * Rules added after a security review of the end-user flow, each tested over the wire:
 * consent is per API, a replayed code adds nothing to the revocation feed, HEAD never
 * issues a code, a NUL byte in the query is a page (not a 500), a relying party may start
 * logout with a POST, an access token is not an id_token_hint, and a native app's
 * private-use scheme is allowed by the pages' CSP.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';
import {
  alice,
  authorizeUrl,
  type Client,
  codeRequest,
  exchange,
  expectErrorPage,
  isConsentPage,
  obtainCode,
  obtainTokens,
  pkce,
  signIn,
  TestBrowser,
  webClient,
} from './refusals-kit.js';

describeEachDatabase('end users: rules from the security review', (db) => {
  let t: TestServer;
  let client: Client;

  before(async () => {
    t = await startTestServer(db);
    await t.server.tessera.users.create(alice);
    client = await webClient(t, { audiences: ['photos-api', 'admin-api'], scopes: ['photos:read'] });
  });
  after(() => t.close());

  it('remembers consent per API: the same scope at another audience asks again', async () => {
    const browser = new TestBrowser(t.issuer);
    await obtainCode(t, browser, client, { resource: 'photos-api' });
    const { challenge } = pkce();
    const again = await browser.get(
      authorizeUrl(t, codeRequest(client, challenge, { resource: 'photos-api' })),
    );
    assert.equal(again.status, 303, 'remembered for photos-api');
    const elsewhere = await browser.get(
      authorizeUrl(t, codeRequest(client, challenge, { resource: 'admin-api' })),
    );
    assert.ok(isConsentPage(elsewhere), 'asked again for admin-api');
  });

  it('a replayed code revokes once: replays add nothing more to the revocation feed', async () => {
    const { code, verifier } = await obtainCode(t, new TestBrowser(t.issuer), client);
    assert.equal((await exchange(t, client, code, verifier)).status, 200);
    const rows = async () =>
      Number(
        (
          await t.server.tessera.database.db
            .selectFrom('revocations')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    assert.equal((await exchange(t, client, code, verifier)).status, 400);
    const afterFirstReplay = await rows();
    for (let i = 0; i < 5; i++) await exchange(t, client, code, verifier);
    assert.equal(await rows(), afterFirstReplay);
  });

  it('answers HEAD on the authorization endpoint without issuing a code', async () => {
    const browser = new TestBrowser(t.issuer);
    await obtainCode(t, browser, client);
    const { challenge } = pkce();
    const url = authorizeUrl(t, codeRequest(client, challenge));
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const head = await fetch(url, { method: 'HEAD', headers: { cookie }, redirect: 'manual' });
    assert.equal(head.headers.get('location'), null);
    assert.notEqual(head.status, 303);
  });

  it('shows a page for a NUL byte in the query, never a 500, even signed in and consented', async () => {
    const browser = new TestBrowser(t.issuer);
    await obtainCode(t, browser, client);
    const { challenge } = pkce();
    for (const changes of [{ nonce: 'a\u0000b' }, { state: '\u0000' }, { login_hint: 'x\u0000' }]) {
      const visit = await browser.get(authorizeUrl(t, codeRequest(client, challenge, changes)));
      expectErrorPage(visit, 400, JSON.stringify(changes));
    }
  });

  it('takes a relying party’s logout POST as a request to confirm, not a stale form', async () => {
    const browser = new TestBrowser(t.issuer);
    await signIn(t, browser);
    const visit = await browser.submit({ action: '/logout', fields: { client_id: client.clientId } });
    assert.equal(visit.status, 200);
    assert.match(visit.html, /Sign out/);
    assert.match(visit.html, /name="csrf_token"/);
  });

  it('refuses an access token as id_token_hint, even one signed RS256', async () => {
    await t.server.tessera.resourceServers.create({ audience: 'rs256-api', scopes: ['x'], alg: 'RS256' });
    const service = await t.createClient({ audiences: ['rs256-api'], scopes: ['x'] });
    const issued = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials' },
      {
        authorization: `Basic ${Buffer.from(`${service.clientId}:${service.clientSecret}`).toString('base64')}`,
      },
    );
    const { access_token: accessToken } = (await issued.json()) as { access_token: string };
    assert.match(
      JSON.parse(Buffer.from(accessToken.split('.')[0] ?? '', 'base64url').toString()).alg,
      /RS256/,
    );
    const visit = await new TestBrowser(t.issuer).get(`${t.issuer}/logout?id_token_hint=${accessToken}`);
    expectErrorPage(visit, 400, 'access token as hint');
    // A real ID token is a good hint.
    const tokens = await obtainTokens(t, new TestBrowser(t.issuer), client, { scope: 'openid', nonce: 'n' });
    assert.ok(tokens.id_token);
    const good = await new TestBrowser(t.issuer).get(`${t.issuer}/logout?id_token_hint=${tokens.id_token}`);
    assert.equal(good.status, 200);
  });

  it('lets a native app’s private-use redirect through the consent page’s CSP', async () => {
    const app = await t.createClient({
      name: 'Photo Mobile',
      authMethod: 'none',
      grantTypes: ['authorization_code'],
      redirectUris: ['com.example.photos:/callback'],
      scopes: ['photos:read'],
    });
    const browser = new TestBrowser(t.issuer);
    await signIn(t, browser);
    const { challenge } = pkce();
    const visit = await browser.get(
      authorizeUrl(t, codeRequest(app, challenge, { redirect_uri: 'com.example.photos:/callback' })),
    );
    assert.ok(isConsentPage(visit));
    assert.match(
      visit.headers.get('content-security-policy') ?? '',
      /form-action 'self' com\.example\.photos:(;|$)/,
    );
    await assert.rejects(
      t.createClient({ authMethod: 'none', grantTypes: ['authorization_code'], redirectUris: ['myapp:/cb'] }),
      /private-use scheme named after a domain/,
    );
  });
});

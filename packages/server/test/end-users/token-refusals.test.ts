/**
 * The token and userinfo endpoints refusing what the authorization code flow must not
 * allow: a code without its PKCE verifier, for another redirect URI or client, or used
 * twice; refresh tokens replayed, widened or presented by another client; public clients
 * overreaching; bearer tokens where they do not belong.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { basic, describeEachDatabase, postForm } from '../harness.js';
import {
  alice,
  type Client,
  type ClockedServer,
  exchange,
  expectOAuthError,
  isActive,
  obtainCode,
  obtainTokens,
  pkce,
  REDIRECT_URI,
  refresh,
  startClockedServer,
  TestBrowser,
  type Tokens,
  token,
  webClient,
} from './refusals-kit.js';

describeEachDatabase('token endpoint refusals in the code flow', (db) => {
  let t: ClockedServer;
  let client: Client;
  let other: Client;
  let graceful: Client;
  let publicClient: Client;
  let service: Client;

  before(async () => {
    t = await startClockedServer(db);
    client = await webClient(t);
    other = await webClient(t, { name: 'Other App' });
    graceful = await webClient(t, { name: 'Mobile App', refreshTokenGrace: 10 });
    publicClient = await webClient(t, { name: 'Native App', authMethod: 'none' });
    service = await t.createClient({ name: 'Batch job', scopes: ['photos:read'] });
    await t.server.tessera.users.create({ ...alice, email: 'alice@example.com', name: 'Alice' });
  });
  after(() => t.close());

  const browser = () => new TestBrowser(t.issuer);

  describe('PKCE at the token endpoint', () => {
    it('refuses a missing or wrong code_verifier with invalid_grant; the code survives for the real one', async () => {
      const { code, verifier } = await obtainCode(t, browser(), client);
      const wrong = [
        null, // missing
        '',
        pkce().verifier, // well formed, another's
        verifier.slice(0, 42), // too short to be a verifier
        `${verifier}!`,
        verifier.toUpperCase(),
        `${verifier} `,
      ];
      for (const attempt of wrong) {
        await expectOAuthError(
          await exchange(t, client, code, attempt),
          400,
          'invalid_grant',
          `verifier ${attempt}`,
        );
      }
      // The challenge itself (what an eavesdropper on the front channel sees) is not the verifier.
      const { challenge } = pkce();
      await expectOAuthError(await exchange(t, client, code, challenge), 400, 'invalid_grant', 'challenge');
      // A failed verifier does not consume the code: whoever fails lacks the verifier, which has
      // 256 bits and cannot be guessed in the code's 60 s; burning the code on failure would only
      // let an attacker who saw the code deny it to the client that holds the verifier.
      const response = await exchange(t, client, code, verifier);
      assert.equal(response.status, 200, await response.clone().text());
      assert.ok(((await response.json()) as Tokens).access_token);
    });

    it('a public client is held to PKCE just the same', async () => {
      const { code, verifier } = await obtainCode(t, browser(), publicClient);
      await expectOAuthError(
        await exchange(t, publicClient, code, null),
        400,
        'invalid_grant',
        'no verifier',
      );
      await expectOAuthError(
        await exchange(t, publicClient, code, pkce().verifier),
        400,
        'invalid_grant',
        'wrong',
      );
      const response = await exchange(t, publicClient, code, verifier);
      assert.equal(response.status, 200, await response.clone().text());
      const tokens = (await response.json()) as Tokens;
      assert.ok(tokens.refresh_token);
      // The public client refreshes with its client_id alone.
      assert.equal((await refresh(t, publicClient, tokens.refresh_token)).status, 200);
    });
  });

  describe('the authorization code', () => {
    it('refuses a redirect_uri other than the authorization request sent, or none', async () => {
      const { code, verifier } = await obtainCode(t, browser(), client);
      for (const redirectUri of [
        null,
        `${REDIRECT_URI}/`,
        'http://127.0.0.1:9/other',
        'https://evil.example/cb',
      ]) {
        await expectOAuthError(
          await exchange(t, client, code, verifier, redirectUri),
          400,
          'invalid_grant',
          `redirect_uri ${redirectUri}`,
        );
      }
      assert.equal((await exchange(t, client, code, verifier)).status, 200);
    });

    it('refuses a code used twice and revokes every token the first use gave', async () => {
      const { code, verifier } = await obtainCode(t, browser(), client);
      const first = await exchange(t, client, code, verifier);
      assert.equal(first.status, 200);
      const tokens = (await first.json()) as Tokens;
      assert.ok(tokens.refresh_token);
      assert.equal(await isActive(t, client, tokens.access_token), true);

      const description = await expectOAuthError(
        await exchange(t, client, code, verifier),
        400,
        'invalid_grant',
        'reuse',
      );
      assert.match(description, /already used/);
      assert.equal(await isActive(t, client, tokens.access_token), false, 'access token still active');
      assert.equal(await isActive(t, client, tokens.refresh_token), false, 'refresh token still active');
      await expectOAuthError(await refresh(t, client, tokens.refresh_token), 400, 'invalid_grant', 'refresh');
    });

    it('two exchanges of one code racing: one wins at most, and no token of it outlives the reuse', async () => {
      // The loser of the race sees the code spent and revokes the grant; the winner's access
      // token must not survive that revocation, however the two interleave.
      for (let round = 0; round < 20; round++) {
        const { code, verifier } = await obtainCode(t, browser(), client);
        const responses = await Promise.all([
          exchange(t, client, code, verifier),
          exchange(t, client, code, verifier),
        ]);
        const won = responses.filter((response) => response.status === 200);
        assert.ok(won.length <= 1, 'both exchanges of one code succeeded');
        for (const response of won) {
          const tokens = (await response.json()) as Tokens;
          assert.equal(
            await isActive(t, client, tokens.access_token),
            false,
            `round ${round}: the winner's access token is active after the code's reuse revoked its grant`,
          );
          await expectOAuthError(await refresh(t, client, tokens.refresh_token ?? ''), 400, 'invalid_grant');
        }
      }
    });

    it('refuses a code presented by another client', async () => {
      const { code, verifier } = await obtainCode(t, browser(), client);
      await expectOAuthError(await exchange(t, other, code, verifier), 400, 'invalid_grant', 'confidential');
      await expectOAuthError(await exchange(t, publicClient, code, verifier), 400, 'invalid_grant', 'public');
    });

    it('refuses an expired code', async () => {
      const { code, verifier } = await obtainCode(t, browser(), client);
      t.clock.advance(61);
      await expectOAuthError(await exchange(t, client, code, verifier), 400, 'invalid_grant', 'expired');
    });

    it('refuses garbage and forged codes with invalid_grant, never a 5xx', async () => {
      const { code, verifier } = await obtainCode(t, browser(), client);
      const tokens = await obtainTokens(t, browser(), client);
      const [body = '', mac = ''] = code.split('.');
      const forged = [
        'x',
        'null',
        '0',
        code.slice(0, -1),
        `${code}x`,
        `${body}.${'A'.repeat(22)}`, // right shape, forged MAC
        `tac_${randomBytes(32).toString('base64url')}.${mac}`, // another body under this code's MAC
        code.replace(/^tac_/, 'trt_'),
        tokens.refresh_token ?? '',
        tokens.access_token,
        'é'.repeat(40),
        '%',
        'a'.repeat(20_000),
        "' OR '1'='1",
      ];
      // A NUL byte never reaches the grant: the form itself is refused.
      for (const value of ['\u0000', `${code}\u0000`]) {
        await expectOAuthError(await exchange(t, client, value, verifier), 400, 'invalid_request', 'NUL');
      }
      for (const value of forged) {
        await expectOAuthError(
          await exchange(t, client, value, verifier),
          400,
          'invalid_grant',
          value.slice(0, 60),
        );
      }
      await expectOAuthError(await exchange(t, client, '', verifier), 400, 'invalid_request', 'empty code');
      // None of it disturbed the real code.
      assert.equal((await exchange(t, client, code, verifier)).status, 200);
    });

    it('refuses a repeated parameter, and the password grant with a reason', async () => {
      const { code, verifier } = await obtainCode(t, browser(), client);
      const form = new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier });
      form.append('code_verifier', pkce().verifier);
      form.set('redirect_uri', REDIRECT_URI);
      await expectOAuthError(await token(t, form.toString(), client), 400, 'invalid_request', 'repeated');

      const description = await expectOAuthError(
        await token(
          t,
          { grant_type: 'password', username: alice.username, password: alice.password },
          client,
        ),
        400,
        'unsupported_grant_type',
        'password',
      );
      assert.match(description, /password grant is refused.*\./);
      await expectOAuthError(
        await token(t, { grant_type: 'implicit' }, client),
        400,
        'unsupported_grant_type',
        'implicit',
      );
    });
  });

  describe('refresh tokens', () => {
    it('a rotated-out refresh token presented again revokes the whole family', async () => {
      const tokens = await obtainTokens(t, browser(), client);
      const rotated = await refresh(t, client, tokens.refresh_token ?? '');
      assert.equal(rotated.status, 200);
      const next = (await rotated.json()) as Tokens;
      assert.ok(next.refresh_token);
      assert.notEqual(next.refresh_token, tokens.refresh_token);

      await expectOAuthError(
        await refresh(t, client, tokens.refresh_token ?? ''),
        400,
        'invalid_grant',
        'replay',
      );
      await expectOAuthError(await refresh(t, client, next.refresh_token), 400, 'invalid_grant', 'successor');
      assert.equal(await isActive(t, client, next.access_token), false, 'latest access token');
      assert.equal(await isActive(t, client, tokens.access_token), false, 'first access token');
    });

    it("refuses another client's refresh token, whatever credentials it comes with", async () => {
      const tokens = await obtainTokens(t, browser(), client);
      const stolen = tokens.refresh_token ?? '';
      await expectOAuthError(await refresh(t, other, stolen), 400, 'invalid_grant', 'confidential');
      await expectOAuthError(await refresh(t, publicClient, stolen), 400, 'invalid_grant', 'public');
      await expectOAuthError(
        await token(t, { grant_type: 'refresh_token', refresh_token: stolen, client_id: client.clientId }),
        401,
        'invalid_client',
        'no secret',
      );
      await expectOAuthError(
        await postForm(
          `${t.issuer}/token`,
          { grant_type: 'refresh_token', refresh_token: stolen },
          { authorization: basic(client.clientId, other.clientSecret) },
        ),
        401,
        'invalid_client',
        "another's secret",
      );
    });

    it('refuses a wider scope on refresh with invalid_scope, issuing nothing', async () => {
      const tokens = await obtainTokens(t, browser(), client, { scope: 'photos:read' });
      for (const scope of [
        'photos:read photos:write',
        'photos:write',
        'openid',
        'offline_access',
        'admin',
        '',
      ]) {
        const response = await refresh(t, client, tokens.refresh_token ?? '', scope);
        if (scope === '') {
          // An empty scope is no scope (RFC 6749 §3.1): the grant's own.
          assert.equal(response.status, 200);
          continue;
        }
        await expectOAuthError(response, 400, 'invalid_scope', `scope ${scope}`);
      }
    });

    it('two refreshes of one token racing: no token of the family outlives the reuse', async () => {
      for (let round = 0; round < 40; round++) {
        const tokens = await obtainTokens(t, browser(), client);
        const responses = await Promise.all([
          refresh(t, client, tokens.refresh_token ?? ''),
          refresh(t, client, tokens.refresh_token ?? ''),
        ]);
        for (const response of responses.filter((r) => r.status === 200)) {
          const next = (await response.json()) as Tokens;
          assert.equal(
            await isActive(t, client, next.access_token),
            false,
            `round ${round}: access token active`,
          );
        }
        assert.equal(await isActive(t, client, tokens.access_token), false);
      }
    });

    it('within the grace period a just-rotated token yields the same successor and revokes nothing', async () => {
      const tokens = await obtainTokens(t, browser(), graceful);
      const first = (await (await refresh(t, graceful, tokens.refresh_token ?? '')).json()) as Tokens;
      assert.ok(first.refresh_token);
      t.clock.advance(5);
      const retried = await refresh(t, graceful, tokens.refresh_token ?? '');
      assert.equal(retried.status, 200, await retried.clone().text());
      const again = (await retried.json()) as Tokens;
      assert.equal(again.refresh_token, first.refresh_token, 'a different successor');
      assert.equal(await isActive(t, graceful, first.access_token), true);
      assert.equal(await isActive(t, graceful, again.access_token), true);
      const onward = await refresh(t, graceful, first.refresh_token);
      assert.equal(onward.status, 200);
      const latest = (await onward.json()) as Tokens;

      // Past the grace period the same replay is reuse.
      t.clock.advance(6);
      await expectOAuthError(
        await refresh(t, graceful, tokens.refresh_token ?? ''),
        400,
        'invalid_grant',
        'late',
      );
      await expectOAuthError(
        await refresh(t, graceful, latest.refresh_token ?? ''),
        400,
        'invalid_grant',
        'family',
      );
      assert.equal(await isActive(t, graceful, latest.access_token), false);
    });

    it('without a grace period an immediate retry already counts as reuse', async () => {
      const tokens = await obtainTokens(t, browser(), client);
      const next = (await (await refresh(t, client, tokens.refresh_token ?? '')).json()) as Tokens;
      await expectOAuthError(
        await refresh(t, client, tokens.refresh_token ?? ''),
        400,
        'invalid_grant',
        'retry',
      );
      await expectOAuthError(
        await refresh(t, client, next.refresh_token ?? ''),
        400,
        'invalid_grant',
        'family',
      );
    });

    it('refuses a refresh token left unused past its idle lifetime', async () => {
      const tokens = await obtainTokens(t, browser(), client);
      t.clock.advance(14 * 86400 + 1);
      await expectOAuthError(
        await refresh(t, client, tokens.refresh_token ?? ''),
        400,
        'invalid_grant',
        'idle',
      );
    });
  });

  describe('client authentication', () => {
    it('a public client introspects its own tokens and no one else’s', async () => {
      const tokens = await obtainTokens(t, browser(), publicClient);
      const own = await postForm(`${t.issuer}/introspect`, {
        token: tokens.access_token,
        client_id: publicClient.clientId,
      });
      assert.equal(own.status, 200);
      assert.equal((await own.json()).active, true);
      const others = await obtainTokens(t, browser(), client);
      const foreign = await postForm(`${t.issuer}/introspect`, {
        token: others.access_token,
        client_id: publicClient.clientId,
      });
      assert.deepEqual(await foreign.json(), { active: false });
    });

    it('a confidential client without its secret, or with a wrong one, is invalid_client', async () => {
      const { code, verifier } = await obtainCode(t, browser(), client);
      const form = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT_URI,
      };
      await expectOAuthError(
        await token(t, { ...form, client_id: client.clientId }),
        401,
        'invalid_client',
        'none',
      );
      await expectOAuthError(await token(t, form), 401, 'invalid_client', 'nothing');
      await expectOAuthError(
        await postForm(`${t.issuer}/token`, form, {
          authorization: basic(client.clientId, other.clientSecret),
        }),
        401,
        'invalid_client',
        'wrong secret',
      );
      await expectOAuthError(
        await token(t, { ...form, client_id: client.clientId, client_secret: client.clientSecret }),
        401,
        'invalid_client',
        'registered for basic, used post',
      );
      // None of these consumed the code.
      assert.equal((await exchange(t, client, code, verifier)).status, 200);
    });

    it('a public client cannot pass itself off with a made-up secret', async () => {
      const { code, verifier } = await obtainCode(t, browser(), publicClient);
      await expectOAuthError(
        await postForm(
          `${t.issuer}/token`,
          { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI },
          { authorization: basic(publicClient.clientId, 'secret') },
        ),
        401,
        'invalid_client',
        'made-up secret',
      );
    });
  });

  describe('userinfo', () => {
    const userinfo = (init: RequestInit = {}, query = '') => fetch(`${t.issuer}/userinfo${query}`, init);

    it('without a token: 401 with a bare Bearer challenge', async () => {
      const response = await userinfo();
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="tessera"');
    });

    it('with a bad, revoked or non-Bearer token: 401 invalid_token', async () => {
      const tokens = await obtainTokens(t, browser(), client, { scope: 'openid photos:read' });
      const good = await userinfo({ headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(good.status, 200, 'the token works before revocation');
      const revoked = await postForm(
        `${t.issuer}/revoke`,
        { token: tokens.access_token },
        { authorization: basic(client.clientId, client.clientSecret) },
      );
      assert.equal(revoked.status, 200);

      for (const value of ['not-a-token', `${tokens.access_token.slice(0, -2)}xx`, tokens.access_token]) {
        const response = await userinfo({ headers: { authorization: `Bearer ${value}` } });
        assert.equal(response.status, 401, value);
        assert.match(
          response.headers.get('www-authenticate') ?? '',
          /^Bearer realm="tessera", error="invalid_token"/,
        );
      }
      const basicAuth = await userinfo({
        headers: { authorization: basic(client.clientId, client.clientSecret) },
      });
      assert.equal(basicAuth.status, 401);
    });

    it('with a token that lacks openid (a client credentials token): 403 insufficient_scope', async () => {
      const issued = await token(t, { grant_type: 'client_credentials' }, service);
      const { access_token } = (await issued.json()) as Tokens;
      const response = await userinfo({ headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(response.status, 403);
      assert.match(response.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
      const noOpenid = await obtainTokens(t, browser(), client, { scope: 'photos:read' });
      const user = await userinfo({ headers: { authorization: `Bearer ${noOpenid.access_token}` } });
      assert.equal(user.status, 403);
    });

    it('with the token in the query string or the body: 400', async () => {
      const tokens = await obtainTokens(t, browser(), client, { scope: 'openid' });
      const inQuery = await userinfo({}, `?access_token=${encodeURIComponent(tokens.access_token)}`);
      assert.equal(inQuery.status, 400);
      assert.equal(((await inQuery.json()) as { error: string }).error, 'invalid_request');
      const both = await userinfo(
        { headers: { authorization: `Bearer ${tokens.access_token}` } },
        `?access_token=${encodeURIComponent(tokens.access_token)}`,
      );
      assert.equal(both.status, 400);
      const inBody = await postForm(`${t.issuer}/userinfo`, { access_token: tokens.access_token });
      assert.equal(inBody.status, 400);
    });
  });
});

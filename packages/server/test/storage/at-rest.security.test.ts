/**
 * What a stolen database gives away: nothing live. Client secrets, opaque tokens and API
 * secrets appear only as keyed hashes or sealed, private signing keys only sealed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

describeEachDatabase('secrets at rest', (db) => {
  let t: TestServer;
  const secrets: string[] = [];

  before(async () => {
    t = await startTestServer(db);
    const { tessera } = t.server;
    const { secret: apiSecret } = await tessera.resourceServers.create({
      audience: 'hs',
      scopes: ['x'],
      alg: 'HS256',
    });
    await tessera.resourceServers.create({ audience: 'opaque', scopes: ['x'], tokenFormat: 'opaque' });
    await tessera.signingKeys.rotate('RS256', 0);
    await tessera.signingKeys.rotate('EdDSA', 0);
    const client = await t.createClient({ scopes: ['x'], audiences: ['opaque', 'hs'] });
    const token = async (resource: string) =>
      (
        await (
          await postForm(
            `${t.issuer}/token`,
            { grant_type: 'client_credentials', resource },
            {
              authorization: basic(client.clientId, client.clientSecret),
            },
          )
        ).json()
      ).access_token as string;
    const opaqueToken = await token('opaque');
    assert.match(opaqueToken, /^tat_/);
    secrets.push(client.clientSecret, apiSecret ?? '', opaqueToken);
  });
  after(() => t.close());

  /** Every distinctive piece of a secret: its random part, and the private key numbers. */
  async function needles(): Promise<string[]> {
    const pieces = secrets.flatMap((secret) => [secret, secret.replace(/^[a-z]{3}_/, '').slice(0, 32)]);
    // The private parts of every signing key, as the server holds them in memory.
    for (const key of t.server.tessera.signingKeys.list()) {
      const signing = t.server.tessera.signingKeys.signingKey(key.alg as 'ES256');
      if (signing) {
        const jwk = signing.key.export({ format: 'jwk' });
        for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const)
          if (jwk[part]) pieces.push(jwk[part].slice(0, 32));
      }
    }
    return pieces.filter((piece) => piece.length >= 20);
  }

  it('no table row holds a secret, a token or private key material', async () => {
    const { db: kysely } = t.server.tessera.database;
    const rows: unknown[] = [];
    for (const table of [
      'clients',
      'resource_servers',
      'signing_keys',
      'opaque_tokens',
      'revocations',
    ] as const) {
      rows.push(...(await kysely.selectFrom(table).selectAll().execute()));
    }
    assert.ok(rows.length >= 7);
    const dump = JSON.stringify(rows);
    const found = await needles();
    assert.ok(found.length >= 8, 'the test must look for something');
    for (const needle of found) assert.ok(!dump.includes(needle), 'a secret is stored in the clear');
    // The sealed columns are sealed, not just encoded.
    const sealed = await kysely.selectFrom('signing_keys').select('private_jwk_sealed').execute();
    for (const { private_jwk_sealed } of sealed)
      assert.match(private_jwk_sealed, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  });

  if (db.name !== 'sqlite') return;
  it('the SQLite files on disk hold no secret either', async () => {
    await sql`PRAGMA wal_checkpoint(FULL)`.execute(t.server.tessera.database.db);
    const files = readdirSync(t.dir).filter((name) => name.startsWith('tessera.db'));
    const bytes = Buffer.concat(files.map((name) => readFileSync(join(t.dir, name))));
    assert.ok(bytes.length > 0);
    for (const needle of await needles())
      assert.equal(bytes.indexOf(needle), -1, 'a secret is in a database file');
  });
});

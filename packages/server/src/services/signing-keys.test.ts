import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import {
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWK,
} from 'jose';
import { openTessera, type Tessera } from '../app/tessera.js';
import { AccessTokenService } from './access-tokens.js';
import { signCompactJws } from './jws-signer.js';
import { ASYMMETRIC_ALGS, type AsymmetricAlg, CLOCK_TOLERANCE_SECONDS } from './signing-keys.js';

const DEFAULT_LIFETIME = 900;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const root = mkdtempSync(join(tmpdir(), 'tessera-signing-keys-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
const opened: Tessera[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((tessera) => tessera.close()));
});

interface Setup {
  readonly tessera: Tessera;
  readonly dir: string;
  /** The fake clock, in seconds; tests move it. */
  readonly clock: { now: number };
}

async function open(dir: string, clock: { now: number }): Promise<Tessera> {
  const tessera = await openTessera({
    database: { dialect: 'sqlite', path: join(dir, 'tessera.db') },
    masterKey: { fromEnv: undefined, file: join(dir, 'master.key') },
    now: () => clock.now,
  });
  opened.push(tessera);
  return tessera;
}

async function setup(): Promise<Setup> {
  const dir = join(root, `case-${++counter}`);
  const clock = { now: 1_700_000_000 };
  return { tessera: await open(dir, clock), dir, clock };
}

const kids = (tessera: Tessera) => tessera.signingKeys.jwks().keys.map((key) => key.kid);
const keyOf = (tessera: Tessera, kid: string) => tessera.signingKeys.list().find((key) => key.kid === kid);

describe('SigningKeyService', () => {
  it('ensureKey creates one ES256 key that signs at once, and is idempotent', async () => {
    const { tessera, clock } = await setup();
    assert.equal(tessera.signingKeys.signingKey('ES256'), undefined);
    await tessera.signingKeys.ensureKey('ES256');
    const list = tessera.signingKeys.list();
    assert.equal(list.length, 1);
    assert.deepEqual(
      { ...list[0], kid: undefined },
      {
        kid: undefined,
        alg: 'ES256',
        activeAt: clock.now,
        expiresAt: null,
      },
    );
    const kid = list[0]?.kid;
    assert.equal(tessera.signingKeys.signingKey('ES256')?.kid, kid);
    assert.deepEqual(kids(tessera), [kid]);

    await tessera.signingKeys.ensureKey('ES256');
    clock.now += 10_000;
    await tessera.signingKeys.ensureKey('ES256');
    assert.equal(tessera.signingKeys.list().length, 1);
    assert.equal(tessera.signingKeys.signingKey('ES256')?.kid, kid);
  });

  it('ensureKey of one alg leaves the others alone', async () => {
    const { tessera } = await setup();
    await tessera.signingKeys.ensureKey('ES256');
    await tessera.signingKeys.ensureKey('EdDSA');
    await tessera.signingKeys.ensureKey('ES256');
    assert.deepEqual(
      tessera.signingKeys
        .list()
        .map((key) => key.alg)
        .sort(),
      ['ES256', 'EdDSA'],
    );
    assert.equal(tessera.signingKeys.signingKey('RS256'), undefined);
  });

  it('rotate publishes the new key at once but signs with the old one until activeAt', async () => {
    const { tessera, clock } = await setup();
    const start = clock.now;
    await tessera.signingKeys.ensureKey('ES256');
    const oldKid = tessera.signingKeys.signingKey('ES256')?.kid;
    assert.ok(oldKid);

    const rotated = await tessera.signingKeys.rotate('ES256', 300);
    assert.equal(rotated.alg, 'ES256');
    assert.equal(rotated.activeAt, start + 300);
    assert.notEqual(rotated.kid, oldKid);
    assert.deepEqual(new Set(kids(tessera)), new Set([oldKid, rotated.kid]));
    assert.ok(
      tessera.signingKeys.verificationKey(rotated.kid),
      'a pending key is already a verification key',
    );

    assert.equal(tessera.signingKeys.signingKey('ES256')?.kid, oldKid);
    clock.now = rotated.activeAt - 1;
    assert.equal(tessera.signingKeys.signingKey('ES256')?.kid, oldKid);
    clock.now = rotated.activeAt;
    assert.equal(tessera.signingKeys.signingKey('ES256')?.kid, rotated.kid);
    await tessera.signingKeys.refresh();
    assert.equal(tessera.signingKeys.signingKey('ES256')?.kid, rotated.kid);
  });

  it('rotate with no delay signs with the new key at once', async () => {
    const { tessera } = await setup();
    await tessera.signingKeys.ensureKey('ES256');
    const rotated = await tessera.signingKeys.rotate('ES256', 0);
    assert.equal(tessera.signingKeys.signingKey('ES256')?.kid, rotated.kid);
  });

  it('keeps the replaced key published until activeAt + the default lifetime + tolerance, then drops it', async () => {
    const { tessera, clock } = await setup();
    await tessera.signingKeys.ensureKey('ES256');
    const oldKid = tessera.signingKeys.signingKey('ES256')?.kid;
    assert.ok(oldKid);
    const rotated = await tessera.signingKeys.rotate('ES256', 300);
    const retireAt = rotated.activeAt + DEFAULT_LIFETIME + CLOCK_TOLERANCE_SECONDS;
    assert.equal(keyOf(tessera, oldKid)?.expiresAt, retireAt);
    assert.equal(keyOf(tessera, rotated.kid)?.expiresAt, null);

    clock.now = retireAt - 1;
    await tessera.signingKeys.refresh();
    assert.ok(kids(tessera).includes(oldKid));
    assert.ok(tessera.signingKeys.verificationKey(oldKid));

    clock.now = retireAt;
    assert.ok(!kids(tessera).includes(oldKid), 'gone from the JWKS as soon as it expires');
    assert.equal(tessera.signingKeys.verificationKey(oldKid), undefined);
    await tessera.signingKeys.refresh();
    assert.deepEqual(kids(tessera), [rotated.kid]);
    assert.equal(keyOf(tessera, oldKid), undefined);
    assert.equal(tessera.signingKeys.signingKey('ES256')?.kid, rotated.kid);
  });

  it('retires the replaced key after the longest client access-token lifetime, when it is longer', async () => {
    const { tessera } = await setup();
    await tessera.signingKeys.ensureKey('ES256');
    const oldKid = tessera.signingKeys.signingKey('ES256')?.kid;
    assert.ok(oldKid);
    await tessera.clients.create({ name: 'short', grantTypes: ['client_credentials'], accessTokenTtl: 60 });
    await tessera.clients.create({ name: 'long', grantTypes: ['client_credentials'], accessTokenTtl: 7200 });
    const rotated = await tessera.signingKeys.rotate('ES256', 300);
    assert.equal(keyOf(tessera, oldKid)?.expiresAt, rotated.activeAt + 7200 + CLOCK_TOLERANCE_SECONDS);
  });

  it('never retires a key before the default lifetime, even when every client asks for less', async () => {
    const { tessera } = await setup();
    await tessera.signingKeys.ensureKey('ES256');
    const oldKid = tessera.signingKeys.signingKey('ES256')?.kid;
    assert.ok(oldKid);
    await tessera.clients.create({ name: 'short', grantTypes: ['client_credentials'], accessTokenTtl: 60 });
    const rotated = await tessera.signingKeys.rotate('ES256', 300);
    assert.equal(
      keyOf(tessera, oldKid)?.expiresAt,
      rotated.activeAt + DEFAULT_LIFETIME + CLOCK_TOLERANCE_SECONDS,
    );
  });

  it("retires the replaced key after an API's token lifetime, when it is the longest", async () => {
    const { tessera } = await setup();
    await tessera.signingKeys.ensureKey('ES256');
    const oldKid = tessera.signingKeys.signingKey('ES256')?.kid;
    assert.ok(oldKid);
    await tessera.clients.create({ name: 'c', grantTypes: ['client_credentials'], accessTokenTtl: 1800 });
    await tessera.resourceServers.create({
      audience: 'https://api.example',
      scopes: ['read'],
      tokenTtl: 3600,
    });
    const rotated = await tessera.signingKeys.rotate('ES256', 300);
    assert.equal(keyOf(tessera, oldKid)?.expiresAt, rotated.activeAt + 3600 + CLOCK_TOLERANCE_SECONDS);
  });

  it('never lets the replaced key sign a token that outlives it, even for a longer-lived client registered meanwhile', async () => {
    // The old key still signs until activeAt; a client registered in that window asks for
    // 7200 s tokens, longer than the retirement worked out at rotate time allows for.
    const { tessera, clock } = await setup();
    await tessera.signingKeys.ensureKey('ES256');
    const oldKid = tessera.signingKeys.signingKey('ES256')?.kid;
    assert.ok(oldKid);
    const rotated = await tessera.signingKeys.rotate('ES256', 300);
    clock.now = rotated.activeAt - 1;
    const { client } = await tessera.clients.create({
      name: 'long',
      grantTypes: ['client_credentials'],
      accessTokenTtl: 7200,
    });
    const accessTokens = new AccessTokenService({
      issuer: 'https://issuer.example',
      signingKeys: tessera.signingKeys,
      resourceServers: tessera.resourceServers,
      tokens: tessera.tokens,
      revocations: tessera.revocations,
      minter: tessera.minter,
      now: () => clock.now,
      defaultTtl: 900,
    });
    const issued = await accessTokens.issue({
      client,
      subject: client.id,
      audience: 'api',
      scopes: [],
      api: null,
    });
    assert.equal(decodeProtectedHeader(issued.accessToken).kid, oldKid, 'the old key signs until activeAt');
    const { exp } = decodeJwt(issued.accessToken);
    assert.ok(exp !== undefined && exp <= clock.now + 7200);
    assert.equal(exp - clock.now, issued.expiresIn);
    // Until the token has expired, tolerance included, its key is still published.
    clock.now = exp + CLOCK_TOLERANCE_SECONDS - 1;
    await tessera.signingKeys.refresh();
    assert.ok(kids(tessera).includes(oldKid), `the key left the JWKS before a token it signed expired`);
  });

  it('rotating an alg that has no key yet makes the new key sign at once', async () => {
    const { tessera } = await setup();
    const rotated = await tessera.signingKeys.rotate('RS256', 300);
    assert.equal(tessera.signingKeys.signingKey('RS256')?.kid, rotated.kid);
  });

  it('rotating one alg never retires another alg', async () => {
    const { tessera, clock } = await setup();
    await tessera.signingKeys.ensureKey('ES256');
    await tessera.signingKeys.ensureKey('EdDSA');
    const eddsa = tessera.signingKeys.signingKey('EdDSA')?.kid;
    assert.ok(eddsa);
    await tessera.signingKeys.rotate('ES256', 0);
    await tessera.signingKeys.rotate('ES256', 0);
    assert.equal(keyOf(tessera, eddsa)?.expiresAt, null);
    clock.now += 100 * 24 * 3600;
    await tessera.signingKeys.refresh();
    assert.equal(tessera.signingKeys.signingKey('EdDSA')?.kid, eddsa);
    assert.ok(kids(tessera).includes(eddsa));
    assert.equal(tessera.signingKeys.list().filter((key) => key.alg === 'ES256').length, 1);
  });

  it('publishes public keys only, each with kid, alg and use, and they check what the private key signs', async () => {
    const { tessera, clock } = await setup();
    for (const alg of ASYMMETRIC_ALGS) await tessera.signingKeys.ensureKey(alg);
    await tessera.signingKeys.rotate('ES256', 300);
    const jwks = tessera.signingKeys.jwks();
    assert.equal(jwks.keys.length, 4);
    for (const key of jwks.keys) {
      for (const member of PRIVATE_MEMBERS) assert.ok(!(member in key), `${String(key.kid)} has ${member}`);
      assert.equal(typeof key.kid, 'string');
      assert.ok((ASYMMETRIC_ALGS as readonly unknown[]).includes(key.alg));
      assert.equal(key.use, 'sig');
      assert.equal(
        key.kid,
        await calculateJwkThumbprint(key as JWK, 'sha256'),
        'kid is the RFC 7638 thumbprint',
      );
    }
    clock.now += 300;
    const verifier = createLocalJWKSet(jwks as { keys: JWK[] });
    for (const alg of ASYMMETRIC_ALGS) {
      const signing = tessera.signingKeys.signingKey(alg as AsymmetricAlg);
      assert.ok(signing);
      const { protectedHeader } = await compactVerify(signCompactJws({}, { sub: 'x' }, signing), verifier, {
        algorithms: [alg],
      });
      assert.equal(protectedHeader.kid, signing.kid);
    }
  });

  it('a second instance on the same database sees a rotation after refresh()', async () => {
    const { tessera: first, dir, clock } = await setup();
    await first.signingKeys.ensureKey('ES256');
    const second = await open(dir, clock);
    assert.deepEqual(kids(second), kids(first), 'the second instance loads the keys on open');
    await second.signingKeys.ensureKey('ES256');
    assert.equal(second.signingKeys.list().length, 1, 'ensureKey on the second instance finds the first key');

    const rotated = await second.signingKeys.rotate('ES256', 60);
    assert.ok(!kids(first).includes(rotated.kid), 'not before refresh()');
    await first.signingKeys.refresh();
    assert.ok(kids(first).includes(rotated.kid));
    clock.now = rotated.activeAt;
    const signing = first.signingKeys.signingKey('ES256');
    assert.equal(signing?.kid, rotated.kid);
    assert.deepEqual(
      signing?.key.export({ format: 'jwk' }),
      second.signingKeys.signingKey('ES256')?.key.export({ format: 'jwk' }),
    );
  });

  it('stores the private key sealed: the row holds no private member, and opens only under its kid', async () => {
    const { tessera } = await setup();
    for (const alg of ASYMMETRIC_ALGS) await tessera.signingKeys.ensureKey(alg);
    const rows = await tessera.database.db.selectFrom('signing_keys').selectAll().execute();
    assert.equal(rows.length, 3);
    for (const row of rows) {
      const signing = tessera.signingKeys.signingKey(row.alg as AsymmetricAlg);
      assert.ok(signing);
      const privateJwk = signing.key.export({ format: 'jwk' });
      const secrets = PRIVATE_MEMBERS.map((member) => privateJwk[member as keyof typeof privateJwk]).filter(
        (value): value is string => typeof value === 'string',
      );
      assert.ok(secrets.length > 0);
      for (const secret of secrets) {
        assert.ok(
          !row.private_jwk_sealed.includes(secret),
          `${row.alg}: private member in the sealed column`,
        );
        assert.ok(!row.public_jwk.includes(secret), `${row.alg}: private member in the public column`);
        assert.ok(!JSON.stringify(row).includes(secret));
      }
      assert.ok(!row.private_jwk_sealed.includes('"d"'), 'not a plain JWK');
      const sealedJwk = JSON.parse(
        tessera.sealer.open(row.private_jwk_sealed, `signing-key:${row.kid}`).toString(),
      );
      assert.equal(sealedJwk.d, privateJwk.d);
      const other = rows.find((candidate) => candidate.kid !== row.kid);
      assert.ok(other);
      assert.throws(() => tessera.sealer.open(row.private_jwk_sealed, `signing-key:${other.kid}`));
    }
  });
});

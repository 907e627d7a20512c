import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeEachDatabase, sqlite, type TestDatabase } from '../../test/harness.js';
import { type Database, openDatabase, parseDatabaseUrl } from '../store/database.js';
import { SqlUserStore } from '../store/user-store.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { UserService, usernameKey } from './users.js';
import { ValidationError } from './validation-error.js';

const CREATED_AT = 1_700_000_000;

interface Opened {
  readonly dir: string;
  readonly database: Database;
  readonly users: UserService;
  close(): Promise<void>;
}

/** A UserService over a fresh database of `kind`, on a clock that reads CREATED_AT. */
async function open(kind: TestDatabase): Promise<Opened> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-users-'));
  const created = await kind.create(dir);
  const location = parseDatabaseUrl(created.url, dir);
  assert.ok(location);
  const database = await openDatabase(location);
  return {
    dir,
    database,
    users: new UserService(new SqlUserStore(database.db), () => CREATED_AT),
    async close() {
      await database.close();
      await created.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts `promise` rejects with a ValidationError whose message matches `message`. */
async function refused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

describe('usernameKey', () => {
  it('folds width, compatibility forms and case', () => {
    assert.equal(usernameKey('Alice'), 'alice');
    assert.equal(usernameKey('ａｌｉｃｅ'), 'alice');
    assert.equal(usernameKey('ＡＬＩＣＥ'), 'alice');
    assert.equal(usernameKey('ﬁsh'), 'fish');
    assert.notEqual(usernameKey('alice'), usernameKey('alice2'));
  });
});

describeEachDatabase('UserService over the store', (kind) => {
  let opened: Opened;
  before(async () => {
    opened = await open(kind);
  });
  after(() => opened.close());

  it('creates an account with an argon2id hash and never stores the password', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const user = await opened.users.create({
      username: 'Ｃａｒｏｌ',
      password,
      email: 'carol@example.com',
      name: 'Carol Q',
    });
    assert.match(user.id, /^usr_[A-Za-z0-9_-]{22}$/);
    assert.equal(user.username, 'Carol');
    assert.equal(user.email, 'carol@example.com');
    assert.equal(user.name, 'Carol Q');
    assert.equal(user.createdAt, CREATED_AT);
    assert.match(user.passwordHash, /^\$argon2id\$/);

    const rows = await opened.database.db.selectFrom('users').selectAll().where('id', '=', user.id).execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.username, 'Carol');
    assert.equal(rows[0]?.username_key, 'carol');
    assert.match(rows[0]?.password_hash ?? '', /^\$argon2id\$/);
    assert.ok(!JSON.stringify(rows).includes(password));
    assert.deepEqual(await opened.users.find(user.id), user);
    assert.equal(await opened.users.find('usr_unknown'), null);

    if (kind.name === 'sqlite') {
      const files = readdirSync(opened.dir).map((file) => readFileSync(join(opened.dir, file)));
      assert.ok(
        files.some((bytes) => bytes.includes('carol@example.com')),
        'the check reads where rows are written',
      );
      assert.ok(!files.some((bytes) => bytes.includes(password)), 'the password is in the database files');
    }
  });

  it('refuses a username another account folds to, with a clear message', async () => {
    const first = await opened.users.create({ username: 'Alice', password: 'password-1' });
    for (const username of ['Alice', 'alice', 'ALICE', 'ａｌｉｃｅ', 'Ａｌｉｃｅ']) {
      await refused(opened.users.create({ username, password: 'password-2' }), /^username ".+" is taken$/);
    }
    const alices = (await opened.users.list()).filter((user) => usernameKey(user.username) === 'alice');
    assert.deepEqual(
      alices.map((user) => user.id),
      [first.id],
    );
    // The first account still signs in with its own password, not the refused ones'.
    assert.equal((await opened.users.authenticate('alice', 'password-1'))?.id, first.id);
    assert.equal(await opened.users.authenticate('alice', 'password-2'), null);
  });

  it('refuses one of two concurrent creations of the same account', async () => {
    const results = await Promise.allSettled([
      opened.users.create({ username: 'Dave', password: 'password-1' }),
      opened.users.create({ username: 'dave', password: 'password-2' }),
    ]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    const rejected = results.find((result) => result.status === 'rejected');
    assert.ok(rejected?.reason instanceof ValidationError, String(rejected?.reason));
    assert.match(rejected.reason.message, /is taken/);
  });

  it('authenticates the right password under any folding of the username, and nothing else', async () => {
    const user = await opened.users.create({ username: 'Erin', password: 'open sesame' });
    for (const username of ['Erin', 'erin', 'ERIN', 'ｅｒｉｎ']) {
      assert.deepEqual(await opened.users.authenticate(username, 'open sesame'), user, username);
    }
    for (const password of ['open Sesame', 'open sesame ', 'open sesame\n', 'opensesame', '']) {
      assert.equal(await opened.users.authenticate('erin', password), null, JSON.stringify(password));
    }
    assert.equal(await opened.users.authenticate('erin2', 'open sesame'), null);
    assert.equal(await opened.users.authenticate('nobody', 'open sesame'), null);
  });

  it('lists accounts by creation time, then username', async () => {
    const listed = await opened.users.list();
    // Every account here was made at CREATED_AT; which of the two Daves won the race varies.
    assert.deepEqual(
      listed.map((user) => usernameKey(user.username)),
      ['alice', 'carol', 'dave', 'erin'],
    );
  });
});

describe('UserService.create checks its input', () => {
  let opened: Opened;
  before(async () => {
    opened = await open(sqlite);
  });
  after(() => opened.close());

  let counter = 0;
  const fresh = () => `user${++counter}`;
  const create = (input: { username?: string; password?: string; email?: string; name?: string }) =>
    opened.users.create({ username: fresh(), password: 'password', ...input });

  it('keeps a username NFKC-normalised, with inner spaces, up to 64 code points', async () => {
    assert.equal((await create({ username: 'ﬁsh' })).username, 'fish');
    assert.equal((await create({ username: 'Mary Ann' })).username, 'Mary Ann');
    assert.equal((await create({ username: 'x'.repeat(64) })).username, 'x'.repeat(64));
    assert.equal((await create({ username: '😀'.repeat(64) })).username, '😀'.repeat(64));
  });

  it('refuses a username empty, too long, with control characters or whitespace at its ends', async () => {
    await refused(create({ username: '' }), /username must be 1 to 64 characters/);
    await refused(create({ username: 'x'.repeat(65) }), /username must be 1 to 64 characters/);
    await refused(create({ username: '😀'.repeat(65) }), /username must be 1 to 64 characters/);
    for (const username of ['a\u0000b', 'a\nb', 'tab\there', 'del\u007f', 'c1\u0085x', 'lone\ud800']) {
      await refused(create({ username }), /username must not contain control characters/);
    }
    for (const username of [' alice', 'alice ', '\u3000alice', 'alice\u00a0', '\u2028alice']) {
      await refused(create({ username }), /username must not begin or end with whitespace/);
    }
  });

  it('takes a password of 8 to 1024 code points as it is', async () => {
    await create({ password: '12345678' });
    await create({ password: 'p'.repeat(1024) });
    await create({ password: '😀'.repeat(1024) });
    await refused(create({ password: '' }), /password must be 8 to 1024 characters/);
    await refused(create({ password: '1234567' }), /password must be 8 to 1024 characters/);
    await refused(create({ password: '😀'.repeat(4) }), /password must be 8 to 1024 characters/);
    await refused(create({ password: 'p'.repeat(1025) }), /password must be 8 to 1024 characters/);

    const spaced = await create({ password: '  padded  ' });
    assert.equal((await opened.users.authenticate(spaced.username, '  padded  '))?.id, spaced.id);
    assert.equal(await opened.users.authenticate(spaced.username, 'padded'), null);
    const wide = await create({ password: 'ｐａｓｓｗｏｒｄ' });
    assert.equal(await opened.users.authenticate(wide.username, 'password'), null, 'not NFKC-normalised');
  });

  it('takes a plausible email address only', async () => {
    assert.equal((await create({ email: 'a@b.example' })).email, 'a@b.example');
    assert.equal((await create({})).email, null);
    const long = `${'l'.repeat(64)}@${'d'.repeat(184)}.test`;
    assert.equal(long.length, 254);
    await create({ email: long });
    for (const email of [
      '',
      'no-at',
      '@b.example',
      'a@',
      'a@@b',
      'a@b@c',
      'a b@c.example',
      'a@b\u0000',
      `x${long}`,
    ]) {
      await refused(create({ email }), /email must be an address/);
    }
  });

  it('takes a name of 1 to 200 characters without control characters', async () => {
    assert.equal((await create({ name: 'Zoë Ö' })).name, 'Zoë Ö');
    assert.equal((await create({})).name, null);
    await create({ name: 'n'.repeat(200) });
    await refused(create({ name: 'n'.repeat(201) }), /name must be 1 to 200 characters/);
    await refused(create({ name: '' }), /name must be 1 to 200 characters/);
    await refused(create({ name: 'line\nbreak' }), /name must not contain control characters/);
  });
});

describe('UserService.authenticate on an unknown username', () => {
  it('spends one argon2id verification, against a hash made once, as for a known one', async () => {
    const database = await openDatabase({ dialect: 'sqlite', path: ':memory:' });
    const verified: string[] = [];
    let hashed = 0;
    const users = new UserService(new SqlUserStore(database.db), () => 1_700_000_000, {
      hash: async (password) => {
        hashed++;
        return hashPassword(password);
      },
      verify: async (hash, password) => {
        verified.push(hash);
        return verifyPassword(hash, password);
      },
    });
    try {
      await users.create({ username: 'frank', password: 'password' });
      assert.equal(await users.authenticate('frank', 'wrong-password'), null);
      assert.equal(await users.authenticate('nobody', 'wrong-password'), null);
      assert.equal(await users.authenticate('nobody-else', 'password'), null);
      // One verification per attempt, known or not; the dummy hash is argon2id with the same
      // parameters as a real one, and made once (two hashes in all: frank's and the dummy).
      assert.equal(verified.length, 3);
      const [real, dummy, dummyAgain] = verified;
      assert.equal(dummy, dummyAgain);
      assert.notEqual(dummy, real);
      assert.equal(dummy?.replace(/\$[^$]*\$[^$]*$/, ''), real?.replace(/\$[^$]*\$[^$]*$/, ''));
      assert.equal(hashed, 2);
    } finally {
      await database.close();
    }
  });
});

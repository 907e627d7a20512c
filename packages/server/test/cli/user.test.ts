/**
 * `tessera user`: accounts made from the command line, their password read from standard
 * input (never from argv), and signing in with it afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { UserService } from '../../src/services/users.js';
import { openDatabase, parseDatabaseUrl } from '../../src/store/database.js';
import { SqlUserStore } from '../../src/store/user-store.js';
import { describeEachDatabase } from '../harness.js';
import { failureLine, jsonResult, runTessera, tempDirs } from './run-tessera.js';

const dirs = tempDirs();
after(() => dirs.cleanup());

describeEachDatabase('tessera user', (database) => {
  let cwd: string;
  let db: string;
  let drop: () => Promise<void>;
  const run = (args: readonly string[], input?: string) =>
    runTessera([...args, '--db', db], input === undefined ? { cwd } : { cwd, input });

  /** Signs in as the server would, over the same database. */
  async function authenticate(username: string, password: string): Promise<string | null> {
    const location = parseDatabaseUrl(db, cwd);
    assert.ok(location);
    const opened = await openDatabase(location);
    try {
      const users = new UserService(new SqlUserStore(opened.db), () => Math.floor(Date.now() / 1000));
      return (await users.authenticate(username, password))?.id ?? null;
    } finally {
      await opened.close();
    }
  }

  const listed = async () =>
    (jsonResult(await run(['user', 'list', '--json'])) as { users: Record<string, unknown>[] }).users;

  before(async () => {
    cwd = dirs.make();
    ({ url: db, drop } = await database.create(cwd));
  });
  after(async () => {
    await drop?.();
  });

  it('user create --password-stdin takes the first line without its line ending', async () => {
    const result = await run(
      ['user', 'create', '--username', 'Alice', '--password-stdin', '--email', 'alice@example.com', '--json'],
      'correct horse\n',
    );
    assert.equal(result.stderr, '');
    const created = jsonResult(result);
    assert.deepEqual(Object.keys(created).sort(), ['email', 'id', 'name', 'username']);
    assert.match(created.id as string, /^usr_[A-Za-z0-9_-]{22}$/);
    assert.equal(created.username, 'Alice');
    assert.equal(created.email, 'alice@example.com');
    assert.equal(created.name, null);

    assert.equal(await authenticate('alice', 'correct horse'), created.id);
    assert.equal(await authenticate('alice', 'correct horse\n'), null);

    const crlf = jsonResult(
      await run(['user', 'create', '--username', 'bob', '--password-stdin', '--json'], 'pw-bob-123\r\n'),
    );
    assert.equal(await authenticate('bob', 'pw-bob-123'), crlf.id);
    assert.equal(await authenticate('bob', 'pw-bob-123\r'), null);

    const bare = jsonResult(
      await run(['user', 'create', '--username', 'carol', '--password-stdin', '--json'], ' spaced pw '),
    );
    assert.equal(await authenticate('carol', ' spaced pw '), bare.id, 'no line ending: all of it, untrimmed');

    const twoLines = jsonResult(
      await run(
        ['user', 'create', '--username', 'dave', '--password-stdin', '--json'],
        'first-line\nsecond-line\n',
      ),
    );
    assert.equal(await authenticate('dave', 'first-line'), twoLines.id);
  });

  it('user create without --json prints the id and username, never the password', async () => {
    const result = await run(
      ['user', 'create', '--username', 'erin', '--password-stdin', '--name', 'Erin E'],
      'erin-password\n',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /usr_[A-Za-z0-9_-]{22}/);
    assert.match(result.stdout, /erin/);
    assert.ok(!result.stdout.includes('erin-password'));
  });

  it('user list shows every account, and no password or hash', async () => {
    const users = await listed();
    assert.deepEqual(users.map((user) => user.username).sort(), ['Alice', 'bob', 'carol', 'dave', 'erin']);
    const erin = users.find((user) => user.username === 'erin');
    assert.deepEqual(Object.keys(erin ?? {}).sort(), ['created_at', 'email', 'id', 'name', 'username']);
    assert.equal(erin?.name, 'Erin E');
    assert.match(erin?.created_at as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    const human = await run(['user', 'list']);
    assert.equal(human.code, 0);
    for (const output of [JSON.stringify(users), human.stdout]) {
      assert.ok(!output.includes('argon2'), output);
      assert.ok(!output.includes('correct horse'), output);
    }
    assert.match(human.stdout, /Alice/);
  });

  it('refuses a username another account folds to, in one line on stderr', async () => {
    for (const username of ['Alice', 'alice', 'ａｌｉｃｅ']) {
      const result = await run(
        ['user', 'create', '--username', username, '--password-stdin', '--json'],
        'another-pass\n',
      );
      assert.equal(result.code, 1);
      assert.match(failureLine(result), /^tessera: username ".+" is taken$/);
    }
    assert.equal((await listed()).filter((user) => user.username === 'Alice').length, 1);
    assert.equal(await authenticate('alice', 'another-pass'), null);
  });

  it('refuses a password anywhere but standard input', async () => {
    const missing = await run(['user', 'create', '--username', 'frank', '--json'], 'frank-password\n');
    assert.equal(missing.code, 2);
    assert.match(failureLine(missing), /--password-stdin/);
    const inArgv = await run([
      'user',
      'create',
      '--username',
      'frank',
      '--password',
      'hunter2-secret',
      '--json',
    ]);
    assert.equal(inArgv.code, 2);
    failureLine(inArgv);
    assert.ok(!inArgv.stderr.includes('hunter2-secret'), inArgv.stderr);
    assert.ok(!(await listed()).some((user) => user.username === 'frank'));
  });

  it('refuses bad input with the reason, and no account', async () => {
    const short = await run(
      ['user', 'create', '--username', 'gina', '--password-stdin', '--json'],
      'short\n',
    );
    assert.match(failureLine(short), /password must be 8 to 1024 characters/);
    const noUsername = await run(['user', 'create', '--password-stdin', '--json'], 'long-enough\n');
    assert.match(failureLine(noUsername), /--username/);
    const email = await run(
      ['user', 'create', '--username', 'gina', '--password-stdin', '--email', 'not-an-address', '--json'],
      'long-enough\n',
    );
    assert.match(failureLine(email), /email/);
    assert.ok(!(await listed()).some((user) => user.username === 'gina'));
    failureLine(await run(['user', 'frobnicate', '--json']));
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadMasterKey, MasterKeyError } from './master-key.js';

const root = mkdtempSync(join(tmpdir(), 'tessera-master-key-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh directory for one test; the key file inside it does not exist yet. */
function freshDir(): string {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir);
  return dir;
}

function writeKeyFile(file: string, content: string, mode: number): void {
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
}

const validText = () => randomBytes(32).toString('base64url');

/** Asserts `fn` throws a MasterKeyError whose text holds none of `secrets`. */
function assertRefused(fn: () => unknown, secrets: readonly string[], pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MasterKeyError, String(error));
    for (const secret of secrets) {
      if (secret.trim() !== '') assert.ok(!error.message.includes(secret.trim()), error.message);
    }
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe('loadMasterKey from a key file', () => {
  it('creates the file, and its folder, with mode 0600 on first call', () => {
    const file = join(freshDir(), 'nested', 'deeper', 'master.key');
    const key = loadMasterKey({ fromEnv: undefined, file });
    assert.equal(key.length, 32);
    assert.ok(statSync(join(file, '..')).isDirectory());
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(file, '..')).mode & 0o077, 0, 'the folder is not open to others');
    assert.equal(readFileSync(file, 'utf8').trim(), key.toString('base64url'));
  });

  it('returns the same key on every later call', () => {
    const file = join(freshDir(), 'master.key');
    const first = loadMasterKey({ fromEnv: undefined, file });
    assert.deepEqual(loadMasterKey({ fromEnv: undefined, file }), first);
    assert.deepEqual(loadMasterKey({ fromEnv: '', file }), first, 'an empty TESSERA_MASTER_KEY means unset');
  });

  it('creates a different random key for each new file', () => {
    const a = loadMasterKey({ fromEnv: undefined, file: join(freshDir(), 'master.key') });
    const b = loadMasterKey({ fromEnv: undefined, file: join(freshDir(), 'master.key') });
    assert.notDeepEqual(a, b);
  });

  it('reads a valid key file it did not create', () => {
    const file = join(freshDir(), 'master.key');
    const text = validText();
    writeKeyFile(file, `${text}\n`, 0o600);
    assert.deepEqual(loadMasterKey({ fromEnv: undefined, file }), Buffer.from(text, 'base64url'));
  });

  it('refuses a file other users may read or write, naming chmod 600, without echoing the key', () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606, 0o666]) {
      const file = join(freshDir(), 'master.key');
      const text = validText();
      writeKeyFile(file, `${text}\n`, mode);
      assertRefused(() => loadMasterKey({ fromEnv: undefined, file }), [text], /chmod 600/);
      assert.throws(
        () => loadMasterKey({ fromEnv: undefined, file }),
        new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      );
    }
  });

  it('accepts a file only its owner may read', () => {
    const file = join(freshDir(), 'master.key');
    const text = validText();
    writeKeyFile(file, text, 0o400);
    assert.deepEqual(loadMasterKey({ fromEnv: undefined, file }), Buffer.from(text, 'base64url'));
  });

  it('refuses a malformed key file without echoing its content', () => {
    const text = validText();
    const malformed = [
      '',
      'not a key at all',
      text.slice(0, 42),
      `${text}A`,
      `${text.slice(0, 40)}+/+`,
      `${text.slice(0, 20)} ${text.slice(21)}`,
      Buffer.from(randomBytes(32)).toString('base64'),
      randomBytes(32).toString('hex'),
      randomBytes(16).toString('base64url'),
      `${text}\n${text}`,
    ];
    for (const content of malformed) {
      const file = join(freshDir(), 'master.key');
      writeKeyFile(file, content, 0o600);
      assertRefused(() => loadMasterKey({ fromEnv: undefined, file }), [content], /32 random bytes/);
    }
  });
});

describe('loadMasterKey from TESSERA_MASTER_KEY', () => {
  it('uses the variable over the file, and creates no file or folder', () => {
    const dir = join(freshDir(), 'never-created');
    const file = join(dir, 'master.key');
    const text = validText();
    assert.deepEqual(loadMasterKey({ fromEnv: text, file }), Buffer.from(text, 'base64url'));
    assert.equal(existsSync(dir), false);
  });

  it('wins over an existing key file', () => {
    const file = join(freshDir(), 'master.key');
    const fromFile = loadMasterKey({ fromEnv: undefined, file });
    const text = validText();
    const fromEnv = loadMasterKey({ fromEnv: text, file });
    assert.deepEqual(fromEnv, Buffer.from(text, 'base64url'));
    assert.notDeepEqual(fromEnv, fromFile);
  });

  it('tolerates surrounding whitespace, as env files often add', () => {
    const text = validText();
    assert.deepEqual(
      loadMasterKey({ fromEnv: ` ${text}\n`, file: join(freshDir(), 'master.key') }),
      Buffer.from(text, 'base64url'),
    );
  });

  it('refuses a malformed value without echoing it, and does not fall back to the file', () => {
    const text = validText();
    for (const value of [
      'short',
      text.slice(0, 42),
      `${text}x`,
      `${text.slice(0, 42)}=`,
      randomBytes(32).toString('hex'),
      randomBytes(24).toString('base64url'),
      'correct horse battery staple correct horse',
    ]) {
      const dir = join(freshDir(), 'never-created');
      assertRefused(
        () => loadMasterKey({ fromEnv: value, file: join(dir, 'master.key') }),
        [value],
        /TESSERA_MASTER_KEY/,
      );
      assert.equal(existsSync(dir), false);
    }
  });
});

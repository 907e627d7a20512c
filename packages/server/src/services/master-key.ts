import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const KEY_BYTES = 32;

export class MasterKeyError extends Error {}

/**
 * The master key seals private keys and HMAC secrets at rest and keys every MAC and hash
 * the server makes. It comes from `TESSERA_MASTER_KEY` (base64url of 32 bytes) or from a
 * key file, created with mode 0600 on first start and refused when others may read it.
 *
 * @example const key = loadMasterKey({ fromEnv: process.env.TESSERA_MASTER_KEY, file: '.tessera/master.key' });
 */
export function loadMasterKey(options: { fromEnv: string | undefined; file: string }): Buffer {
  if (options.fromEnv !== undefined && options.fromEnv !== '') {
    return decodeKey(options.fromEnv.trim(), 'TESSERA_MASTER_KEY');
  }
  return readOrCreateKeyFile(options.file);
}

function readOrCreateKeyFile(file: string): Buffer {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    const fd = openSync(file, 'wx', 0o600);
    const key = randomBytes(KEY_BYTES);
    try {
      writeSync(fd, `${key.toString('base64url')}\n`);
    } finally {
      closeSync(fd);
    }
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(
      `master key file ${file} may be read by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`,
    );
  }
  return decodeKey(readFileSync(file, 'utf8').trim(), `master key file ${file}`);
}

function decodeKey(text: string, source: string): Buffer {
  const key = /^[A-Za-z0-9_-]{43}$/.test(text) ? Buffer.from(text, 'base64url') : null;
  if (key === null || key.length !== KEY_BYTES) {
    throw new MasterKeyError(`${source} must be 32 random bytes in base64url (43 characters)`);
  }
  return key;
}

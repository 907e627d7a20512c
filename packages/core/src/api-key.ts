import { createHash, randomBytes } from 'node:crypto';

/**
 * Tessera API keys: `tsk_<env>_<43 base62 characters: 256 random bits><6 base62 characters:
 * checksum>`. The prefix names the kind and the environment for people and secret scanners;
 * the checksum (the first 32 bits of SHA-256 over everything before it) lets anyone tell a
 * real key from noise or a typo without asking the server. It is not a MAC: it proves form,
 * not origin.
 */
export type ApiKeyEnvironment = 'live' | 'test';

/** Finds API keys in text (global); for secret scanners: `/\btsk_(live|test)_[0-9A-Za-z]{49}\b/`. */
export const API_KEY_PATTERN = /\btsk_(live|test)_[0-9A-Za-z]{49}\b/g;

const SHAPE = /^tsk_(live|test)_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Characters of the key shown back to people: kind, environment and 4 random characters. */
const DISPLAY_LENGTH = 'tsk_live_'.length + 4;

/**
 * Mints a new API key for `env`.
 *
 * @example mintApiKey('live') // 'tsk_live_3Jd…'
 */
export function mintApiKey(env: ApiKeyEnvironment): string {
  const body = `tsk_${env}_${toBase62(randomBytes(32), 43)}`;
  return body + checksum(body);
}

/** Whether `text` is a well-formed API key: right shape and a matching checksum. */
export function isWellFormedApiKey(text: string): boolean {
  const match = SHAPE.exec(text);
  return match !== null && checksum(text.slice(0, -6)) === match[3];
}

/** The environment of a well-formed key, or null. */
export function apiKeyEnvironment(text: string): ApiKeyEnvironment | null {
  return isWellFormedApiKey(text) ? (SHAPE.exec(text)?.[1] as ApiKeyEnvironment) : null;
}

/** What may be shown of a key after it was created: `tsk_live_AbCd…`. */
export function apiKeyDisplayPrefix(key: string): string {
  return `${key.slice(0, DISPLAY_LENGTH)}…`;
}

function checksum(body: string): string {
  return toBase62(createHash('sha256').update(body).digest().subarray(0, 4), 6);
}

/** Big-endian bytes as exactly `width` base62 digits, zero-padded. */
function toBase62(bytes: Uint8Array, width: number): string {
  let value = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let digits = '';
  for (let i = 0; i < width; i++) {
    digits = BASE62[Number(value % 62n)] + digits;
    value /= 62n;
  }
  return digits;
}

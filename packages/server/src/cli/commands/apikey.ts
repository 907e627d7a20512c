import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY_PATTERN, apiKeyDisplayPrefix, isWellFormedApiKey } from '@tessera/core';
import { DEFAULT_ROTATION_OVERLAP } from '../../services/api-keys.js';
import type { ApiKeyRecord } from '../../store/api-key-store.js';
import { withTessera } from '../open-tessera.js';
import { isoTime, printResult, shownOnce } from '../output.js';
import {
  choiceFlag,
  DB_FLAG,
  durationFlag,
  JSON_FLAG,
  parseFlags,
  requireFlag,
  scopeFlag,
} from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export const APIKEY_USAGE = `tessera apikey create --name S --scope "a b" [--env live|test] [--expires-in DURATION]
                      [--rate-limit N (requests per minute)] [--db URL] [--json]
tessera apikey rotate ID [--overlap DURATION] [--db URL] [--json]
tessera apikey revoke ID [--db URL] [--json]
tessera apikey list [--db URL] [--json]
tessera apikey scan PATH… [--revoke] [--db URL] [--json]`;

/** Files larger than this are not scanned. */
const MAX_SCANNED_BYTES = 64 * 1024 * 1024;

export async function apikeyCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  switch (action) {
    case 'create':
      return create(rest);
    case 'rotate':
      return rotate(rest);
    case 'revoke':
      return revoke(rest);
    case 'list':
      return list(rest);
    case 'scan':
      return scan(rest);
    default:
      throw new UsageError('tessera apikey: expected create, rotate, revoke, list or scan');
  }
}

async function create(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...DB_FLAG,
    ...JSON_FLAG,
    name: { type: 'string' },
    scope: { type: 'string' },
    env: { type: 'string' },
    'expires-in': { type: 'string' },
    'rate-limit': { type: 'string' },
  });
  const name = requireFlag(values.name, 'name');
  const env = choiceFlag(values.env, 'env', ['live', 'test'] as const);
  const expiresIn = durationFlag(values['expires-in'], 'expires-in');
  const rateLimit = values['rate-limit'];
  if (rateLimit !== undefined && !/^[1-9]\d{0,8}$/.test(rateLimit)) {
    throw new UsageError('--rate-limit must be a whole number of requests per minute, at least 1');
  }
  const { record, key } = await withTessera(values.db, (tessera) =>
    tessera.apiKeys.create({
      name,
      scopes: scopeFlag(values.scope),
      ...(env === undefined ? {} : { env }),
      ...(expiresIn === undefined ? {} : { expiresInSeconds: expiresIn }),
      ...(rateLimit === undefined ? {} : { rateLimit: Number(rateLimit) }),
    }),
  );
  printResult(
    values.json ?? false,
    { id: record.id, key, prefix: record.displayPrefix, ...describe(record) },
    [`id:  ${record.id}`, ...shownOnce('key:', key)],
  );
  return 0;
}

async function rotate(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { ...DB_FLAG, ...JSON_FLAG, overlap: { type: 'string' } },
    1,
  );
  const id = requireFlag(positionals[0], 'API key id (tessera apikey rotate ID)');
  const overlap = durationFlag(values.overlap, 'overlap') ?? DEFAULT_ROTATION_OVERLAP;
  const rotated = await withTessera(values.db, (tessera) => tessera.apiKeys.rotate(id, overlap));
  printResult(
    values.json ?? false,
    {
      id: rotated.record.id,
      key: rotated.key,
      old_expires_at: isoTime(rotated.oldExpiresAt),
      previous_id: id,
    },
    [
      `id:  ${rotated.record.id}`,
      ...shownOnce('key:', rotated.key),
      `${id} keeps working until ${isoTime(rotated.oldExpiresAt)}`,
    ],
  );
  return 0;
}

async function revoke(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...DB_FLAG, ...JSON_FLAG }, 1);
  const id = requireFlag(positionals[0], 'API key id (tessera apikey revoke ID)');
  const revoked = await withTessera(values.db, (tessera) => tessera.apiKeys.revoke(id));
  if (!revoked) throw new UsageError(`no live API key ${id}`);
  printResult(values.json ?? false, { id, revoked: true }, [`revoked ${id}`]);
  return 0;
}

async function list(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...DB_FLAG, ...JSON_FLAG });
  const keys = await withTessera(values.db, (tessera) => tessera.apiKeys.list());
  printResult(
    values.json ?? false,
    { keys: keys.map((key) => ({ id: key.id, prefix: key.displayPrefix, ...describe(key) })) },
    keys.length === 0
      ? ['no API keys']
      : keys.map((key) => `${key.id}  ${key.displayPrefix}  ${key.name}  ${key.scopes.join(' ')}`),
  );
  return 0;
}

/**
 * Finds well-formed keys in files (logs, a source tree), says whether each is live, and with
 * `--revoke` revokes the live ones. A key is never printed in full.
 */
async function scan(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { ...DB_FLAG, ...JSON_FLAG, revoke: { type: 'boolean', default: false } },
    Number.POSITIVE_INFINITY,
  );
  if (positionals.length === 0) throw new UsageError('tessera apikey scan: name at least one file or folder');
  const found = positionals.flatMap((path) => findKeys(path));
  const findings = await withTessera(values.db, async (tessera) => {
    const results = [];
    for (const { path, line, key } of found) {
      const { status, record } = await tessera.apiKeys.inspect(key);
      const revoked =
        values.revoke === true &&
        status === 'live' &&
        record !== null &&
        (await tessera.apiKeys.revoke(record.id));
      results.push({
        path,
        line,
        prefix: apiKeyDisplayPrefix(key),
        status: revoked ? 'revoked now' : status,
        id: record?.id ?? null,
      });
    }
    return results;
  });
  const live = findings.filter((finding) => finding.status === 'live').length;
  printResult(
    values.json ?? false,
    { findings },
    findings.length === 0
      ? ['no API keys found']
      : [
          ...findings.map((f) => `${f.path}:${f.line}: ${f.prefix} ${f.status}${f.id ? ` (${f.id})` : ''}`),
          ...(live > 0 ? [`${live} live key(s): rotate or revoke them (tessera apikey scan --revoke)`] : []),
        ],
  );
  if (live === 0) return 0;
  // Live keys in the open are a failure a CI job should see.
  process.stderr.write(`tessera: ${live} live API key(s) found\n`);
  return 3;
}

function findKeys(path: string): { path: string; line: number; key: string }[] {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    throw new UsageError(`cannot read ${path}`);
  }
  if (stats.isDirectory()) {
    return readdirSync(path, { withFileTypes: true })
      .filter((entry: Dirent) => entry.name !== '.git' && (entry.isDirectory() || entry.isFile()))
      .flatMap((entry: Dirent) => findKeys(join(path, entry.name)));
  }
  if (!stats.isFile() || stats.size > MAX_SCANNED_BYTES) return [];
  const lines = readFileSync(path, 'latin1').split('\n');
  return lines.flatMap((text, index) =>
    [...text.matchAll(API_KEY_PATTERN)]
      // The checksum tells real keys from look-alikes: only those are reported.
      .filter((match) => isWellFormedApiKey(match[0]))
      .map((match) => ({ path, line: index + 1, key: match[0] })),
  );
}

function describe(key: ApiKeyRecord) {
  return {
    name: key.name,
    scope: key.scopes.join(' '),
    env: key.env,
    created_at: isoTime(key.createdAt),
    expires_at: key.expiresAt === null ? null : isoTime(key.expiresAt),
    revoked_at: key.revokedAt === null ? null : isoTime(key.revokedAt),
    last_used_at: key.lastUsedAt === null ? null : isoTime(key.lastUsedAt),
    rate_limit: key.rateLimit,
  };
}

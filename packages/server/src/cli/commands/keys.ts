import { JWKS_MAX_AGE } from '../../app/tessera.js';
import { ASYMMETRIC_ALGS } from '../../services/signing-keys.js';
import { withTessera } from '../open-tessera.js';
import { isoTime, printResult } from '../output.js';
import { choiceFlag, DB_FLAG, durationFlag, JSON_FLAG, parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export const KEYS_USAGE = `tessera keys list [--db URL] [--json]
tessera keys rotate [--alg ES256|RS256|EdDSA] [--activate-in DURATION] [--db URL] [--json]`;

export async function keysCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'list') return list(rest);
  if (action === 'rotate') return rotate(rest);
  throw new UsageError('tessera keys: expected list or rotate');
}

async function list(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...DB_FLAG, ...JSON_FLAG });
  const keys = await withTessera(values.db, async (tessera) => tessera.signingKeys.list());
  const now = Date.now() / 1000;
  printResult(
    values.json ?? false,
    {
      keys: keys.map((key) => ({
        kid: key.kid,
        alg: key.alg,
        active_at: isoTime(key.activeAt),
        expires_at: key.expiresAt === null ? null : isoTime(key.expiresAt),
      })),
    },
    keys.length === 0
      ? ['no signing keys yet: the server creates one on first start']
      : keys.map(
          (key) =>
            `${key.kid}  ${key.alg}  ${key.activeAt > now ? 'signs from' : 'active since'} ${isoTime(key.activeAt)}${
              key.expiresAt === null ? '' : `  retires ${isoTime(key.expiresAt)}`
            }`,
        ),
  );
  return 0;
}

async function rotate(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...DB_FLAG,
    ...JSON_FLAG,
    alg: { type: 'string' },
    'activate-in': { type: 'string' },
  });
  const alg = choiceFlag(values.alg, 'alg', ASYMMETRIC_ALGS) ?? 'ES256';
  const activateIn = durationFlag(values['activate-in'], 'activate-in') ?? JWKS_MAX_AGE;
  const rotated = await withTessera(values.db, (tessera) => tessera.signingKeys.rotate(alg, activateIn));
  printResult(
    values.json ?? false,
    { kid: rotated.kid, alg: rotated.alg, active_at: isoTime(rotated.activeAt) },
    [`published ${rotated.alg} key ${rotated.kid}; it signs from ${isoTime(rotated.activeAt)}`],
  );
  return 0;
}

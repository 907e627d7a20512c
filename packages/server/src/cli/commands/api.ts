import { RESOURCE_SERVER_ALGS } from '../../services/resource-servers.js';
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

export const API_USAGE = `tessera api create --audience A --scope "a b" [--token-format jwt|opaque] [--token-ttl DURATION]
                   [--alg ES256|RS256|EdDSA|HS256] [--db URL] [--json]
tessera api list [--db URL] [--json]`;

export async function apiCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'create') return create(rest);
  if (action === 'list') return list(rest);
  throw new UsageError('tessera api: expected create or list');
}

async function create(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...DB_FLAG,
    ...JSON_FLAG,
    audience: { type: 'string' },
    scope: { type: 'string' },
    'token-format': { type: 'string' },
    'token-ttl': { type: 'string' },
    alg: { type: 'string' },
  });
  const tokenFormat = choiceFlag(values['token-format'], 'token-format', ['jwt', 'opaque'] as const);
  const tokenTtl = durationFlag(values['token-ttl'], 'token-ttl');
  const alg = choiceFlag(values.alg, 'alg', RESOURCE_SERVER_ALGS);
  const { record, secret } = await withTessera(values.db, (tessera) =>
    tessera.resourceServers.create({
      audience: requireFlag(values.audience, 'audience'),
      scopes: scopeFlag(values.scope),
      ...(tokenFormat === undefined ? {} : { tokenFormat }),
      ...(tokenTtl === undefined ? {} : { tokenTtl }),
      ...(alg === undefined ? {} : { alg }),
    }),
  );
  printResult(
    values.json ?? false,
    {
      audience: record.audience,
      ...(secret === undefined ? {} : { secret }),
      scope: record.scopes.join(' '),
      token_format: record.tokenFormat,
      alg: record.alg,
    },
    [`audience: ${record.audience}`, ...shownOnce('secret:  ', secret)],
  );
  return 0;
}

async function list(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...DB_FLAG, ...JSON_FLAG });
  const apis = await withTessera(values.db, (tessera) => tessera.resourceServers.list());
  printResult(
    values.json ?? false,
    {
      apis: apis.map((api) => ({
        audience: api.audience,
        scope: api.scopes.join(' '),
        token_format: api.tokenFormat,
        token_ttl: api.tokenTtl,
        alg: api.alg,
        created_at: isoTime(api.createdAt),
      })),
    },
    apis.length === 0
      ? ['no APIs']
      : apis.map((api) => `${api.audience}  ${api.alg}  ${api.tokenFormat}  ${api.scopes.join(' ')}`),
  );
  return 0;
}

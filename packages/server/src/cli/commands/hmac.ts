import { withTessera } from '../open-tessera.js';
import { isoTime, printResult, shownOnce } from '../output.js';
import { DB_FLAG, JSON_FLAG, parseFlags, requireFlag, scopeFlag } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export const HMAC_USAGE = `tessera hmac create --name S --scope "a b" [--db URL] [--json]
tessera hmac list [--db URL] [--json]
tessera hmac revoke ACCESS_KEY_ID [--db URL] [--json]`;

export async function hmacCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'create') return create(rest);
  if (action === 'list') return list(rest);
  if (action === 'revoke') return revoke(rest);
  throw new UsageError('tessera hmac: expected create, list or revoke');
}

async function create(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...DB_FLAG,
    ...JSON_FLAG,
    name: { type: 'string' },
    scope: { type: 'string' },
  });
  const name = requireFlag(values.name, 'name');
  const { record, secret } = await withTessera(values.db, (tessera) =>
    tessera.hmacCredentials.create({ name, scopes: scopeFlag(values.scope) }),
  );
  printResult(
    values.json ?? false,
    {
      access_key_id: record.accessKeyId,
      secret_access_key: secret,
      name: record.name,
      scope: record.scopes.join(' '),
    },
    [`access_key_id:     ${record.accessKeyId}`, ...shownOnce('secret_access_key:', secret)],
  );
  return 0;
}

async function list(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...DB_FLAG, ...JSON_FLAG });
  const credentials = await withTessera(values.db, (tessera) => tessera.hmacCredentials.list());
  printResult(
    values.json ?? false,
    {
      credentials: credentials.map((credential) => ({
        access_key_id: credential.accessKeyId,
        name: credential.name,
        scope: credential.scopes.join(' '),
        created_at: isoTime(credential.createdAt),
        revoked_at: credential.revokedAt === null ? null : isoTime(credential.revokedAt),
      })),
    },
    credentials.length === 0
      ? ['no signing credentials']
      : credentials.map(
          (credential) => `${credential.accessKeyId}  ${credential.name}  ${credential.scopes.join(' ')}`,
        ),
  );
  return 0;
}

async function revoke(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...DB_FLAG, ...JSON_FLAG }, 1);
  const id = requireFlag(positionals[0], 'access key id (tessera hmac revoke ACCESS_KEY_ID)');
  if (!(await withTessera(values.db, (tessera) => tessera.hmacCredentials.revoke(id)))) {
    throw new UsageError(`no live signing credential ${id}`);
  }
  printResult(values.json ?? false, { access_key_id: id, revoked: true }, [`revoked ${id}`]);
  return 0;
}

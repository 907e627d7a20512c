import { readFileSync } from 'node:fs';
import { AUTH_METHODS } from '../../services/clients.js';
import type { ClientRecord } from '../../store/client-store.js';
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

export const CLIENT_USAGE = `tessera client create --name S --grant G [--grant G…] [--scope "a b"] [--redirect-uri U…]
                      [--auth-method M] [--token-format jwt|opaque] [--audience A…] [--resource-server]
                      [--access-token-ttl DURATION] [--jwks FILE] [--post-logout-redirect-uri U…]
                      [--refresh-token-grace DURATION] [--dpop-bound-access-tokens]
                      [--tls-subject-dn DN | --tls-san TYPE:VALUE] [--db URL] [--json]
tessera client list [--db URL] [--json]
tessera client delete ID [--db URL] [--json]`;

export async function clientCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  switch (action) {
    case 'create':
      return create(rest);
    case 'list':
      return list(rest);
    case 'delete':
      return remove(rest);
    default:
      throw new UsageError(`tessera client: expected create, list or delete`);
  }
}

async function create(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...DB_FLAG,
    ...JSON_FLAG,
    name: { type: 'string' },
    grant: { type: 'string', multiple: true },
    scope: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'auth-method': { type: 'string' },
    'token-format': { type: 'string' },
    audience: { type: 'string', multiple: true },
    'resource-server': { type: 'boolean', default: false },
    'access-token-ttl': { type: 'string' },
    jwks: { type: 'string' },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'refresh-token-grace': { type: 'string' },
    'dpop-bound-access-tokens': { type: 'boolean', default: false },
    'tls-subject-dn': { type: 'string' },
    'tls-san': { type: 'string' },
  });
  const input = {
    name: requireFlag(values.name, 'name'),
    grantTypes: requireFlag(values.grant, 'grant'),
    scopes: scopeFlag(values.scope),
    redirectUris: values['redirect-uri'] ?? [],
    authMethod: choiceFlag(values['auth-method'], 'auth-method', AUTH_METHODS) ?? 'client_secret_basic',
    audiences: values.audience ?? [],
    resourceServer: values['resource-server'] ?? false,
    ...optional(
      'tokenFormat',
      choiceFlag(values['token-format'], 'token-format', ['jwt', 'opaque'] as const),
    ),
    ...optional('accessTokenTtl', durationFlag(values['access-token-ttl'], 'access-token-ttl')),
    ...optional('jwks', values.jwks === undefined ? undefined : readJwks(values.jwks)),
    postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
    dpopBoundAccessTokens: values['dpop-bound-access-tokens'] ?? false,
    ...optional('tlsSubjectDn', values['tls-subject-dn']),
    ...optional('tlsSan', values['tls-san']),
    ...optional('refreshTokenGrace', durationFlag(values['refresh-token-grace'], 'refresh-token-grace')),
  };
  const { client, secret } = await withTessera(values.db, (tessera) => tessera.clients.create(input));
  printResult(
    values.json ?? false,
    { client_id: client.id, ...(secret === undefined ? {} : { client_secret: secret }), ...describe(client) },
    [`client_id:     ${client.id}`, ...shownOnce('client_secret:', secret)],
  );
  return 0;
}

async function list(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...DB_FLAG, ...JSON_FLAG });
  const clients = await withTessera(values.db, (tessera) => tessera.clients.list());
  printResult(
    values.json ?? false,
    { clients: clients.map((client) => ({ client_id: client.id, ...describe(client) })) },
    clients.length === 0
      ? ['no clients']
      : clients.map(
          (client) =>
            `${client.id}  ${client.name}  ${client.grantTypes.join(',')}  ${client.scopes.join(' ')}`,
        ),
  );
  return 0;
}

async function remove(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...DB_FLAG, ...JSON_FLAG }, 1);
  const id = requireFlag(positionals[0], 'client id (tessera client delete ID)');
  const deleted = await withTessera(values.db, (tessera) => tessera.clients.delete(id));
  if (!deleted) throw new UsageError(`no client ${id}`);
  printResult(values.json ?? false, { client_id: id, deleted: true }, [`deleted ${id}`]);
  return 0;
}

function describe(client: ClientRecord) {
  return {
    name: client.name,
    grant_types: client.grantTypes,
    scope: client.scopes.join(' '),
    redirect_uris: client.redirectUris,
    token_endpoint_auth_method: client.authMethod,
    audiences: client.audiences,
    token_format: client.tokenFormat,
    access_token_ttl: client.accessTokenTtl,
    resource_server: client.resourceServer,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    refresh_token_grace: client.refreshTokenGrace,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    ...(client.tlsSubject?.dn ? { tls_client_auth_subject_dn: client.tlsSubject.dn } : {}),
    ...(client.tlsSubject?.san ? { tls_client_auth_san: client.tlsSubject.san } : {}),
    created_at: isoTime(client.createdAt),
  };
}

function readJwks(file: string): { keys: object[] } {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`--jwks: cannot read a JSON Web Key Set from ${file}`);
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

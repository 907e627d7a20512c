import { withTessera } from '../open-tessera.js';
import { isoTime, printResult } from '../output.js';
import { DB_FLAG, JSON_FLAG, parseFlags, requireFlag } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export const USER_USAGE = `tessera user create --username U --password-stdin [--email E] [--name N] [--db URL] [--json]
tessera user list [--db URL] [--json]`;

export async function userCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'create') return create(rest);
  if (action === 'list') return list(rest);
  throw new UsageError('tessera user: expected create or list');
}

async function create(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...DB_FLAG,
    ...JSON_FLAG,
    username: { type: 'string' },
    'password-stdin': { type: 'boolean', default: false },
    email: { type: 'string' },
    name: { type: 'string' },
  });
  const username = requireFlag(values.username, 'username');
  // A password in argv would be visible to every user of the machine and kept in shell history.
  if (!values['password-stdin']) throw new UsageError('--password-stdin is required: pipe the password in');
  const password = await readLine(process.stdin);
  const user = await withTessera(values.db, (tessera) =>
    tessera.users.create({ username, password, email: values.email, name: values.name }),
  );
  printResult(
    values.json ?? false,
    { id: user.id, username: user.username, email: user.email, name: user.name },
    [`id:       ${user.id}`, `username: ${user.username}`],
  );
  return 0;
}

async function list(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...DB_FLAG, ...JSON_FLAG });
  const users = await withTessera(values.db, (tessera) => tessera.users.list());
  printResult(
    values.json ?? false,
    {
      users: users.map((user) => ({
        id: user.id,
        username: user.username,
        email: user.email,
        name: user.name,
        created_at: isoTime(user.createdAt),
      })),
    },
    users.length === 0
      ? ['no users']
      : users.map((user) => `${user.id}  ${user.username}  ${user.email ?? ''}`.trim()),
  );
  return 0;
}

/** The first line of `input`, without its line ending ("\n" or "\r\n"). */
async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  input.setEncoding('utf8');
  for await (const chunk of input) {
    text += chunk;
    const end = text.indexOf('\n');
    if (end !== -1) return text.slice(0, end).replace(/\r$/, '');
  }
  return text;
}

import { ConfigError } from '../config/server-config.js';
import { MasterKeyError } from '../services/master-key.js';
import { ValidationError } from '../services/validation-error.js';
import { API_USAGE, apiCommand } from './commands/api.js';
import { APIKEY_USAGE, apikeyCommand } from './commands/apikey.js';
import { CLIENT_USAGE, clientCommand } from './commands/client.js';
import { GATEWAY_USAGE, gatewayCommand } from './commands/gateway.js';
import { HMAC_USAGE, hmacCommand } from './commands/hmac.js';
import { KEYS_USAGE, keysCommand } from './commands/keys.js';
import { SERVE_USAGE, serveCommand } from './commands/serve.js';
import { USER_USAGE, userCommand } from './commands/user.js';
import { UsageError } from './usage-error.js';

const USAGE = `Usage:
${SERVE_USAGE}
${CLIENT_USAGE}
${API_USAGE}
${APIKEY_USAGE}
${HMAC_USAGE}
${USER_USAGE}
${KEYS_USAGE}
${GATEWAY_USAGE}

--db URL: sqlite:PATH (default sqlite:./.tessera/tessera.db) or postgres://…; env TESSERA_DB.
--json: print exactly one JSON object on stdout.`;

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: serveCommand,
  client: clientCommand,
  api: apiCommand,
  apikey: apikeyCommand,
  hmac: hmacCommand,
  user: userCommand,
  keys: keysCommand,
  gateway: gatewayCommand,
};

/** Runs one `tessera` command; returns the exit status. A failure prints one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined) {
    process.stderr.write('tessera: missing command; see tessera --help\n');
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help' || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  try {
    if (run === undefined)
      throw new UsageError(`unknown command ${JSON.stringify(command)}; see tessera --help`);
    return await run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tessera: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.problems.map((problem) => `tessera: ${problem}`).join('\n')}\n`);
      return 1;
    }
    if (error instanceof ValidationError || error instanceof MasterKeyError) {
      process.stderr.write(`tessera: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`tessera: ${oneLine(error)}\n`);
    return 1;
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? 'failed';
}

import { pino } from 'pino';
import { stdoutLogStream } from './batched-log-stream.js';

/** Anything named like a credential is censored wherever it appears in a log record. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers.dpop',
  'res.headers["set-cookie"]',
  'body',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.client_secret',
  '*.client_assertion',
  '*.token',
  '*.access_token',
  '*.refresh_token',
];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The server's JSON logger. Requests are logged by method and path only: no query string
 * (where a careless client may put a secret), no headers, no body.
 *
 * @example const log = createLogger('info'); log.info({ path: '/token' }, 'request');
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { id?: string; method?: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination ?? stdoutLogStream(),
  );
}

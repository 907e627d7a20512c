/**
 * The yardstick of the benchmark: the plainest correct pass-through proxy, `node:http` in
 * front and an `undici` pool behind, streaming both ways and dropping hop-by-hop headers. No
 * routing, no authentication, no logging.
 *
 * ```sh
 * node --import tsx bench/gateway/plain-proxy.ts --port 0 --upstream http://127.0.0.1:9000
 * ```
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' } },
});
if (values.upstream === undefined) throw new Error('--upstream is required');

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
]);
const pool = new Pool(values.upstream, { headersTimeout: 30_000, bodyTimeout: 0, keepAliveTimeout: 4000 });

const forwardedHeaders = (req: IncomingMessage): string[] => {
  const headers: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!HOP_BY_HOP.has((raw[i] as string).toLowerCase()))
      headers.push(raw[i] as string, raw[i + 1] as string);
  }
  return headers;
};

const server = createServer((req, res) => {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  pool
    .stream(
      {
        path: req.url ?? '/',
        method: (req.method ?? 'GET') as 'GET',
        headers: forwardedHeaders(req),
        body: hasBody ? req : null,
      },
      ({ statusCode, headers }) => {
        const returned: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) returned[name] = value;
        }
        res.writeHead(statusCode, returned);
        return res;
      },
    )
    .catch(() => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`plain proxy listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));

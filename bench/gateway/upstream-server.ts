/**
 * The trivial upstream every proxy of the benchmark forwards to: answers any request with a
 * small JSON body, after reading the request body (if any) to its end.
 *
 * ```sh
 * node --import tsx bench/gateway/upstream-server.ts --port 0
 * ```
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const BODY = Buffer.from('{"ok":true}');

const server = createServer((req, res) => {
  req.resume();
  req.once('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`upstream listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));

/**
 * The physical limit: a `node:http` server that does no OAuth work and answers every
 * request, once its body is read, with the same canned JSON of `--bytes` bytes (the size of
 * a real token response). Loaded by the same virtual users as Tessera, it shows what this
 * load generator, loopback and Node's HTTP stack manage on their own.
 *
 * ```sh
 * node bench/end-users/canned-server.ts --bytes 1600   # prints `canned server listening on http://127.0.0.1:PORT`
 * ```
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { bytes: { type: 'string', default: '1600' } } });
const filler = 'x'.repeat(Math.max(0, Number(values.bytes) - 80));
const body = Buffer.from(
  JSON.stringify({ access_token: filler, token_type: 'Bearer', expires_in: 900, scope: 'openid' }),
);

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': body.length,
      'cache-control': 'no-store',
    });
    response.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(`canned server listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

/**
 * Requests signed by independent SigV4 implementations, sent over real HTTP to a server
 * that verifies them with core's verifySigV4Request: @smithy/signature-v4, aws4,
 * `curl --aws-sigv4` and our own createSigV4Fetch must all be accepted, on paths that need
 * encoding (spaces, %2F, ~, non-ASCII, sub-delimiters) and on unsorted, repeated queries.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createSigV4Fetch } from '@tessera/client';
import aws4 from 'aws4';
import {
  ACCESS_KEY_ID,
  type Answer,
  answerOf,
  curl,
  REGION,
  SECRET_ACCESS_KEY,
  SERVICE,
  type SigV4TestServer,
  startSigV4TestServer,
} from './sigv4-test-server.js';

// Wire paths, as a client sends them.
const PATHS = [
  '/v1/charges',
  '/v1/files/monthly%20report.pdf',
  '/v1/files/a%2Fb',
  '/v1/~alice/notes',
  '/v1/files/r%C3%A9sum%C3%A9-%E2%82%AC',
  "/v1/tags/a:b@c!$&'()*+,;=",
];
// Unsorted, a repeated name, '+' for a space, an empty value.
const QUERY = 'status=paid&limit=10&tag=a%20b&tag=a+c&flag';
const JSON_BODY = '{"amount":100,"currency":"eur"}';

const smithy = new SignatureV4({
  credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  region: REGION,
  service: SERVICE,
  sha256: Sha256,
});

function queryObject(query: string): Record<string, string | string[]> {
  const object: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(query)) {
    const existing = Object.hasOwn(object, name) ? object[name] : undefined;
    object[name] = existing === undefined ? value : [existing, value].flat();
  }
  return object;
}

async function viaSmithy(
  server: SigV4TestServer,
  method: string,
  target: string,
  body?: string,
): Promise<Answer> {
  const [path = '', query = ''] = target.split(/\?(.*)/s);
  const headers: Record<string, string> = { host: `127.0.0.1:${server.port}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const signed = (await smithy.sign(
    new HttpRequest({
      method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: server.port,
      path,
      query: queryObject(query),
      headers,
      body,
    }),
  )) as HttpRequest;
  const response = await fetch(`${server.origin}${target}`, { method, headers: signed.headers, body });
  return answerOf(response);
}

function viaAws4(server: SigV4TestServer, method: string, target: string, body?: string): Promise<Answer> {
  const signed = aws4.sign(
    {
      host: '127.0.0.1',
      port: server.port,
      method,
      path: target,
      body,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      service: SERVICE,
      region: REGION,
    },
    { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  );
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({
      host: '127.0.0.1',
      port: server.port,
      method,
      path: signed.path,
      headers: signed.headers as Record<string, string>,
    });
    outgoing.on('error', reject);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          ...(JSON.parse(Buffer.concat(chunks).toString()) as Answer),
          status: response.statusCode ?? 0,
        }),
      );
    });
    outgoing.end(body);
  });
}

function viaCurl(server: SigV4TestServer, method: string, target: string, body?: string): Promise<Answer> {
  const args =
    body === undefined ? [] : ['-X', method, '-H', 'content-type: application/json', '--data-binary', body];
  return curl([...args, `${server.origin}${target}`]);
}

async function viaClient(
  server: SigV4TestServer,
  method: string,
  target: string,
  body?: string,
): Promise<Answer> {
  const signedFetch = createSigV4Fetch({
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    region: REGION,
    service: SERVICE,
  });
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  return answerOf(await signedFetch(`${server.origin}${target}`, { method, headers, body }));
}

const CLIENTS = {
  '@smithy/signature-v4': viaSmithy,
  aws4: viaAws4,
  'curl --aws-sigv4': viaCurl,
  createSigV4Fetch: viaClient,
};

describe('SigV4 interop over HTTP', () => {
  let server: SigV4TestServer;
  before(async () => {
    server = await startSigV4TestServer();
  });
  after(() => server.close());

  for (const [name, send] of Object.entries(CLIENTS)) {
    describe(name, () => {
      // A server of its own: two clients signing the same request in the same second
      // produce the same signature, which the replay check rightly refuses.
      let server: SigV4TestServer;
      before(async () => {
        server = await startSigV4TestServer();
      });
      after(() => server.close());

      it('GET with an unsorted, repeated query', async () => {
        const answer = await send(server, 'GET', `/v1/charges?${QUERY}`);
        assert.deepEqual(
          { status: answer.status, id: answer.accessKeyId },
          { status: 200, id: ACCESS_KEY_ID },
          answer.reason,
        );
      });

      it('POST with a JSON body', async () => {
        const answer = await send(server, 'POST', '/v1/charges', JSON_BODY);
        assert.equal(answer.status, 200, answer.reason);
        const last = server.received.at(-1);
        assert.equal(last?.body.toString(), JSON_BODY);
      });

      for (const path of PATHS) {
        it(`GET ${path}`, async () => {
          const answer = await send(server, 'GET', path);
          assert.equal(answer.status, 200, answer.reason);
          assert.equal(server.received.at(-1)?.target.split('?')[0], path);
        });
      }
    });
  }

  it('tells which canonical form matched: curl 7 signs the target as sent', async () => {
    assert.equal((await viaCurl(server, 'GET', '/v1/charges')).canonicalization, 'sigv4');
    assert.equal((await viaCurl(server, 'GET', `/v1/charges?${QUERY}`)).canonicalization, 'curl7');
    assert.equal((await viaCurl(server, 'GET', '/v1/files/monthly%20report.pdf')).canonicalization, 'curl7');
    assert.equal((await viaSmithy(server, 'GET', `/v1/charges?${QUERY}`)).canonicalization, 'sigv4');
    assert.equal(
      (await viaClient(server, 'GET', '/v1/files/monthly%20report.pdf')).canonicalization,
      'sigv4',
    );
  });

  it('our client signs FormData and bytes too', async () => {
    const signedFetch = createSigV4Fetch({
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      region: REGION,
      service: SERVICE,
    });
    const form = new FormData();
    form.append('file', new Blob(['hello']), 'hello.txt');
    assert.equal(
      (await answerOf(await signedFetch(`${server.origin}/v1/uploads`, { method: 'POST', body: form })))
        .status,
      200,
    );
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
    assert.equal(
      (await answerOf(await signedFetch(`${server.origin}/v1/uploads`, { method: 'PUT', body: bytes })))
        .status,
      200,
    );
    assert.deepEqual([...(server.received.at(-1)?.body ?? [])], [...bytes]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import fc from 'fast-check';
import { parseSigV4Authorization } from './authorization.js';
import { EMPTY_BODY_SHA256, sha256Hex } from './canonical-request.js';
import { type SignSigV4RequestInput, signSigV4Request } from './sign-request.js';

// Text encodeURIComponent can encode: no lone surrogate.
const LONE_SURROGATE = /\p{Cs}/u;

const ID = 'TKIATESTKEY0000000001';
const SECRET = 'c2VjcmV0LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3';
const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);

const base = (overrides: Partial<SignSigV4RequestInput> = {}): SignSigV4RequestInput => ({
  method: 'GET',
  url: 'http://127.0.0.1:8081/v1/charges?limit=10',
  accessKeyId: ID,
  secretAccessKey: SECRET,
  region: 'local',
  service: 'billing',
  now: NOW,
  ...overrides,
});

describe('signSigV4Request', () => {
  it('returns the three headers, signing host, x-amz-content-sha256, x-amz-date and the headers given', () => {
    const signature = signSigV4Request(
      base({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"amount":100}' }),
    );
    assert.equal(signature.amzDate, '20260115T100000Z');
    assert.equal(signature.contentSha256, sha256Hex('{"amount":100}'));
    assert.deepEqual(signature.signedHeaders, ['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date']);
    assert.deepEqual(signature.headers, {
      authorization: signature.authorization,
      'x-amz-date': '20260115T100000Z',
      'x-amz-content-sha256': signature.contentSha256,
    });
    assert.deepEqual(parseSigV4Authorization(signature.authorization), {
      accessKeyId: ID,
      date: '20260115',
      region: 'local',
      service: 'billing',
      signedHeaders: signature.signedHeaders,
      signature: signature.authorization.slice(-64),
    });
  });

  it('hashes an absent body as the empty one, and strings as UTF-8', () => {
    assert.equal(signSigV4Request(base()).contentSha256, EMPTY_BODY_SHA256);
    assert.equal(
      signSigV4Request(base({ method: 'PUT', body: 'é' })).contentSha256,
      signSigV4Request(base({ method: 'PUT', body: Buffer.from('é', 'utf8') })).contentSha256,
    );
  });

  it('takes host from the URL, port included, unless given', () => {
    const fromUrl = signSigV4Request(base());
    const given = signSigV4Request(base({ headers: { host: '127.0.0.1:8081' } }));
    const other = signSigV4Request(base({ headers: { host: 'api.example.com' } }));
    assert.equal(fromUrl.authorization, given.authorization);
    assert.notEqual(fromUrl.authorization, other.authorization);
  });

  it('leaves out the headers that HTTP stacks rewrite', () => {
    const signature = signSigV4Request(
      base({
        headers: {
          'User-Agent': 'x',
          'Content-Length': '0',
          Connection: 'close',
          'Proxy-Authorization': 'x',
          'Sec-Fetch-Mode': 'cors',
          Accept: '*/*',
        },
      }),
    );
    assert.deepEqual(signature.signedHeaders, ['accept', 'host', 'x-amz-content-sha256', 'x-amz-date']);
  });

  it('signs the method as given, since fetch sends "patch" as is', () => {
    assert.notEqual(
      signSigV4Request(base({ method: 'patch' })).authorization,
      signSigV4Request(base({ method: 'PATCH' })).authorization,
    );
  });

  it('refuses what the verifier would refuse whatever the signature', () => {
    assert.throws(() => signSigV4Request(base({ url: 'http://h/v1//charges' })), TypeError);
    assert.throws(
      () => signSigV4Request(base({ headers: { Authorization: 'Bearer x' } })),
      /signer sets authorization/,
    );
    assert.throws(() => signSigV4Request(base({ headers: { 'X-Amz-Date': '20260115T100000Z' } })), TypeError);
    assert.throws(() => signSigV4Request(base({ headers: { 'x-name': 'é' } })), /visible ASCII/);
    assert.throws(() => signSigV4Request(base({ headers: { 'x-name': 'a\nb' } })), /visible ASCII/);
    assert.throws(
      () =>
        signSigV4Request(
          base({
            headers: [
              ['X-A', '1'],
              ['x-a', '2'],
            ],
          }),
        ),
      /given twice/,
    );
    assert.throws(() => signSigV4Request(base({ headers: { 'bad name': 'x' } })), /not a header name/);
    assert.throws(() => signSigV4Request(base({ method: 'GET /' })), TypeError);
    assert.throws(() => signSigV4Request(base({ accessKeyId: 'a/b' })), TypeError);
    assert.throws(() => signSigV4Request(base({ region: '' })), TypeError);
    assert.throws(() => signSigV4Request(base({ url: 'not a url' })), TypeError);
  });

  it('matches @smithy/signature-v4 and aws4 byte for byte', async () => {
    const smithy = new SignatureV4({
      credentials: { accessKeyId: ID, secretAccessKey: SECRET },
      region: 'local',
      service: 'billing',
      sha256: Sha256,
    });
    const text = fc.string({ unit: 'binary', maxLength: 10 }).filter((value) => !LONE_SURROGATE.test(value));
    const visible = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      maxLength: 12,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'patch'),
        fc.array(
          text.filter((value) => value !== '' && value !== '.' && value !== '..'),
          { maxLength: 3 },
        ),
        fc.array(fc.tuple(text, text), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('content-type', 'accept', 'x-tenant', 'if-match'), visible, {
          maxKeys: 3,
        }),
        fc.oneof(text, fc.uint8Array({ maxLength: 30 })),
        async (method, segments, pairs, headers, body) => {
          const path = `/${segments.map(encodeURIComponent).join('/')}`;
          const search = new URLSearchParams(pairs).toString();
          const url = `http://127.0.0.1:8081${path}${search === '' ? '' : `?${search}`}`;
          const ours = signSigV4Request(base({ method, url, headers, body }));

          const query: Record<string, string | string[]> = Object.create(null);
          for (const [name, value] of pairs) {
            const existing = Object.hasOwn(query, name) ? query[name] : undefined;
            query[name] = existing === undefined ? value : [existing, value].flat();
          }
          const theirs = (await smithy.sign(
            new HttpRequest({
              method,
              hostname: '127.0.0.1',
              port: 8081,
              path,
              query,
              headers: { host: '127.0.0.1:8081', ...headers },
              body,
            }),
            { signingDate: new Date(NOW) },
          )) as HttpRequest;
          // smithy collects the query into a plain object: a name "__proto__" breaks it.
          if (!Object.hasOwn(query, '__proto__')) {
            assert.equal(ours.authorization, theirs.headers.authorization, 'smithy');
          }

          // aws4 drops empty and "__proto__" query names, so compare only where there are none.
          if (pairs.every(([name]) => name !== '' && name !== '__proto__')) {
            const signer = new aws4.RequestSigner(
              {
                host: '127.0.0.1:8081',
                method,
                path: `${path}${search === '' ? '' : `?${search}`}`,
                headers: {
                  ...headers,
                  'X-Amz-Date': ours.amzDate,
                  'X-Amz-Content-Sha256': ours.contentSha256,
                },
                body: Buffer.from(body),
                service: 'billing',
                region: 'local',
                doNotModifyHeaders: true,
              },
              { accessKeyId: ID, secretAccessKey: SECRET },
            );
            // With doNotModifyHeaders, aws4 would take the date from the clock.
            signer.datetime = ours.amzDate;
            assert.equal(ours.authorization, signer.sign().headers?.Authorization, 'aws4');
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

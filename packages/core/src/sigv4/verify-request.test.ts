import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import fc from 'fast-check';
import { ErrorCode } from '../errors.js';
import { formatAmzDate } from './amz-date.js';
import {
  canonicalRequest,
  credentialScope,
  EMPTY_BODY_SHA256,
  sha256Hex,
  stringToSign,
} from './canonical-request.js';
import { canonicalPath, canonicalQuery } from './canonical-target.js';
import { signSigV4Request } from './sign-request.js';
import { deriveSigV4SigningKey, signStringToSign } from './signing-key.js';
import type { SigV4Rejected } from './sigv4-rejected.js';
import { type SigV4Request, type VerifySigV4Options, verifySigV4Request } from './verify-request.js';

// Text encodeURIComponent can encode: no lone surrogate.
const LONE_SURROGATE = /\p{Cs}/u;

const ID = 'TKIATESTKEY0000000001';
const SECRET = 'c2VjcmV0LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3';
const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);
const HOST = '127.0.0.1:8081';

interface Draft {
  readonly method?: string;
  readonly target?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  readonly now?: number;
  readonly region?: string;
  readonly service?: string;
  readonly secret?: string;
}

/** A request signed by our signer, as a server would receive it. */
function signed(draft: Draft = {}): SigV4Request {
  const target = draft.target ?? '/v1/charges?limit=10';
  const method = draft.method ?? 'GET';
  const signature = signSigV4Request({
    method,
    url: `http://${HOST}${target}`,
    headers: draft.headers ?? {},
    body: draft.body ?? '',
    accessKeyId: ID,
    secretAccessKey: draft.secret ?? SECRET,
    region: draft.region ?? 'local',
    service: draft.service ?? 'billing',
    now: draft.now ?? NOW,
  });
  const headers = { Host: HOST, ...draft.headers, ...signature.headers };
  return {
    method,
    target,
    rawHeaders: Object.entries(headers).flat(),
    body: typeof draft.body === 'string' ? Buffer.from(draft.body) : (draft.body ?? new Uint8Array()),
  };
}

/**
 * A request signed by hand over whatever headers and canonical forms the test wants,
 * to check rules a well-behaved signer never breaks.
 */
function handSigned(input: {
  method?: string;
  target: string;
  headers: Array<[string, string]>;
  signedHeaders: string[];
  canonicalPath?: string;
  canonicalQuery?: string;
  payloadHash?: string;
  body?: Uint8Array;
  amzDate?: string;
}): SigV4Request {
  const amzDate = input.amzDate ?? formatAmzDate(NOW);
  const [path = '', query = null] = input.target.split(/\?(.*)/s);
  const lookup = new Map(input.headers.map(([name, value]) => [name.toLowerCase(), value]));
  const canonical = canonicalRequest({
    method: input.method ?? 'GET',
    canonicalPath: input.canonicalPath ?? canonicalPath(path),
    canonicalQuery: input.canonicalQuery ?? canonicalQuery(query),
    headers: input.signedHeaders.map((name) => [name, lookup.get(name) ?? ''] as const),
    payloadHash: input.payloadHash ?? sha256Hex(input.body ?? new Uint8Array()),
  });
  const date = amzDate.slice(0, 8);
  const signature = signStringToSign(
    deriveSigV4SigningKey(SECRET, date, 'local', 'billing'),
    stringToSign(amzDate, credentialScope(date, 'local', 'billing'), canonical),
  );
  const authorization = `AWS4-HMAC-SHA256 Credential=${ID}/${date}/local/billing/aws4_request, SignedHeaders=${input.signedHeaders.join(';')}, Signature=${signature}`;
  return {
    method: input.method ?? 'GET',
    target: input.target,
    rawHeaders: [...input.headers.flat(), 'Authorization', authorization],
    body: input.body ?? new Uint8Array(),
  };
}

function options(overrides: Partial<VerifySigV4Options> = {}): VerifySigV4Options {
  return {
    region: 'local',
    service: 'billing',
    now: NOW,
    signingKeyFor: (id, date, region, service) =>
      id === ID ? deriveSigV4SigningKey(SECRET, date, region, service) : undefined,
    seen: () => false,
    ...overrides,
  };
}

async function outcome(request: SigV4Request, overrides: Partial<VerifySigV4Options> = {}): Promise<string> {
  const result = await verifySigV4Request(request, options(overrides));
  return result.ok ? 'accepted' : result.error.reason;
}

async function refusal(
  request: SigV4Request,
  overrides: Partial<VerifySigV4Options> = {},
): Promise<SigV4Rejected> {
  const result = await verifySigV4Request(request, options(overrides));
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) throw new Error('unreachable');
  return result.error;
}

function withHeader(request: SigV4Request, name: string, value: string | null): SigV4Request {
  const rawHeaders: string[] = [];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    if ((request.rawHeaders[index] ?? '').toLowerCase() === name.toLowerCase()) continue;
    rawHeaders.push(request.rawHeaders[index] ?? '', request.rawHeaders[index + 1] ?? '');
  }
  if (value !== null) rawHeaders.push(name, value);
  return { ...request, rawHeaders };
}

function header(request: SigV4Request, name: string): string {
  const index = request.rawHeaders.findIndex((item, at) => at % 2 === 0 && item.toLowerCase() === name);
  return request.rawHeaders[index + 1] ?? '';
}

describe('verifySigV4Request: what it accepts', () => {
  it('accepts a request signed by signSigV4Request and says who signed what', async () => {
    const request = signed({
      method: 'POST',
      target: '/v1/charges',
      headers: { 'content-type': 'application/json' },
      body: '{"amount":100}',
    });
    const result = await verifySigV4Request(request, options());
    assert.ok(result.ok);
    assert.equal(result.value.accessKeyId, ID);
    assert.equal(result.value.date, '20260115');
    assert.equal(result.value.signedAt, NOW);
    assert.deepEqual(result.value.signedHeaders, [
      'content-type',
      'host',
      'x-amz-content-sha256',
      'x-amz-date',
    ]);
    assert.match(result.value.signature, /^[0-9a-f]{64}$/);
    assert.equal(result.value.canonicalization, 'sigv4');
  });

  it('asks the lookup for the day, region and service of the scope, and hands back what it returned', async () => {
    const calls: string[][] = [];
    const record = {
      signingKey: deriveSigV4SigningKey(SECRET, '20260115', 'local', 'billing'),
      scopes: ['charges:read'],
    };
    const withRecord: VerifySigV4Options<typeof record> = {
      ...options(),
      signingKeyFor: async (...args) => {
        calls.push(args);
        return record;
      },
    };
    const result = await verifySigV4Request(signed(), withRecord);
    assert.ok(result.ok);
    assert.equal(result.value.key, record);
    assert.deepEqual(calls, [[ID, '20260115', 'local', 'billing']]);
  });

  it('accepts the body as a hash computed by the caller', async () => {
    const request = signed({ method: 'PUT', body: 'payload' });
    assert.equal(await outcome({ ...request, body: { sha256Hex: sha256Hex('payload') } }), 'accepted');
    assert.equal(
      await outcome({ ...request, body: { sha256Hex: sha256Hex('other') } }),
      'payload_hash_mismatch',
    );
  });

  it('accepts X-Amz-Date exactly at the tolerance, both ways', async () => {
    assert.equal(await outcome(signed({ now: NOW - 300_000 })), 'accepted');
    assert.equal(await outcome(signed({ now: NOW + 300_000 })), 'accepted');
  });

  it('reads repeated signed headers as one, joined by commas in the order sent', async () => {
    const request = handSigned({
      target: '/',
      headers: [
        ['Host', HOST],
        ['X-Thing', 'b'],
        ['X-Amz-Date', formatAmzDate(NOW)],
        ['X-Thing', 'a  c'],
      ],
      signedHeaders: ['host', 'x-amz-date', 'x-thing'],
    });
    // Signed as "x-thing:b,a c": hand-signing used the last value only, so it must fail…
    assert.equal(await outcome(request), 'signature_mismatch');
    // …and succeed when signed over the joined value.
    const joined = handSigned({
      target: '/',
      headers: [
        ['Host', HOST],
        ['X-Amz-Date', formatAmzDate(NOW)],
        ['X-Thing', 'b,a c'],
      ],
      signedHeaders: ['host', 'x-amz-date', 'x-thing'],
    });
    const split = withHeader(joined, 'X-Thing', null);
    assert.equal(
      await outcome({ ...split, rawHeaders: [...split.rawHeaders, 'X-Thing', 'b', 'x-thing', 'a   c'] }),
      'accepted',
    );
  });

  it('ignores headers that are not signed', async () => {
    const request = signed();
    assert.equal(
      await outcome({ ...request, rawHeaders: [...request.rawHeaders, 'User-Agent', 'curl/7.88.1'] }),
      'accepted',
    );
  });
});

describe('verifySigV4Request: what it refuses', () => {
  it('refuses a request without Authorization', async () => {
    const error = await refusal(withHeader(signed(), 'authorization', null));
    assert.equal(error.reason, 'authorization_missing');
    assert.equal(error.status, 401);
    assert.equal(error.code, ErrorCode.CREDENTIALS_MISSING);
  });

  it('refuses malformed Authorization values with 401 invalid_token', async () => {
    const request = signed();
    const good = header(request, 'authorization');
    for (const value of [
      'Bearer abc',
      good.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512'),
      `${good}, x`,
      good.toUpperCase(),
      '',
    ]) {
      const error = await refusal(withHeader(request, 'Authorization', value));
      assert.equal(error.reason, 'authorization_malformed', value);
      assert.equal(error.status, 401);
      assert.equal(error.error, 'invalid_token');
    }
  });

  it('refuses repeated Authorization, Host, X-Amz-Date and X-Amz-Content-Sha256 with 400', async () => {
    const request = signed();
    for (const name of ['Authorization', 'Host', 'X-Amz-Date', 'X-Amz-Content-Sha256']) {
      const error = await refusal({
        ...request,
        rawHeaders: [...request.rawHeaders, name, header(request, name.toLowerCase())],
      });
      assert.equal(error.reason, 'header_repeated', name);
      assert.equal(error.status, 400);
      assert.equal(error.error, 'invalid_request');
    }
  });

  it('refuses presigned URLs, whatever the case of the parameter', async () => {
    for (const target of [
      '/v1/charges?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc',
      '/v1/charges?x-amz-credential=AKID%2F20260115',
      '/v1/charges?X-Amz-Signature',
    ]) {
      const error = await refusal(signed({ target }));
      assert.equal(error.reason, 'signature_in_query', target);
      assert.equal(error.code, ErrorCode.CREDENTIAL_IN_URL);
      assert.equal(error.status, 400);
    }
    // Even without an Authorization header, the answer names the real problem.
    const bare = withHeader(signed({ target: '/x?X-Amz-Signature=abc' }), 'authorization', null);
    assert.equal(await outcome(bare), 'signature_in_query');
  });

  it('refuses targets that cannot be signed unambiguously', async () => {
    const request = signed();
    for (const target of [
      '/v1//charges',
      '/v1/./charges',
      '/public/../v1/charges',
      '/v1/%zz',
      '/v1/charges?q=%',
      '/é',
    ]) {
      assert.equal(await outcome({ ...request, target }), 'target_malformed', target);
    }
  });

  it('refuses a scope for another region, service or day', async () => {
    assert.equal(await outcome(signed({ region: 'us-east-1' })), 'scope_mismatch');
    assert.equal(await outcome(signed({ service: 'billinG' })), 'scope_mismatch');
    const request = signed();
    const nextDay = formatAmzDate(NOW + 86_400_000);
    assert.equal(
      await outcome(withHeader(request, 'X-Amz-Date', nextDay), { now: NOW + 86_400_000 }),
      'scope_mismatch',
    );
  });

  it('refuses a missing or malformed X-Amz-Date', async () => {
    const request = signed();
    assert.equal(await outcome(withHeader(request, 'X-Amz-Date', null)), 'date_malformed');
    for (const value of [
      '2026-01-15T10:00:00Z',
      '20260115T100000',
      '20260132T100000Z',
      'Thu, 15 Jan 2026 10:00:00 GMT',
    ]) {
      assert.equal(await outcome(withHeader(request, 'X-Amz-Date', value)), 'date_malformed', value);
    }
  });

  it('refuses X-Amz-Date beyond the tolerance, both ways', async () => {
    const old = await refusal(signed({ now: NOW - 301_000 }));
    assert.equal(old.reason, 'date_too_old');
    assert.equal(old.code, ErrorCode.TOKEN_EXPIRED);
    assert.equal((await refusal(signed({ now: NOW + 301_000 }))).reason, 'date_too_new');
    assert.equal(await outcome(signed({ now: NOW - 3_600_000 })), 'date_too_old');
    assert.equal(await outcome(signed({ now: NOW - 61_000 }), { clockToleranceSeconds: 60 }), 'date_too_old');
    assert.equal(await outcome(signed({ now: NOW - 59_000 }), { clockToleranceSeconds: 60 }), 'accepted');
  });

  it('refuses SignedHeaders without host or x-amz-date, even with a valid signature', async () => {
    const headers: Array<[string, string]> = [
      ['Host', HOST],
      ['X-Amz-Date', formatAmzDate(NOW)],
      ['X-Amz-Content-Sha256', EMPTY_BODY_SHA256],
    ];
    assert.equal(
      await outcome(
        handSigned({ target: '/', headers, signedHeaders: ['host', 'x-amz-content-sha256', 'x-amz-date'] }),
      ),
      'accepted',
    );
    for (const signedHeaders of [
      ['x-amz-content-sha256', 'x-amz-date'],
      ['host', 'x-amz-content-sha256'],
      ['host', 'x-amz-date'],
      ['host', 'x-amz-date', 'x-amz-content-sha256'],
      ['host', 'host', 'x-amz-content-sha256', 'x-amz-date'],
      ['authorization', 'host', 'x-amz-content-sha256', 'x-amz-date'],
    ]) {
      const error = await refusal(handSigned({ target: '/', headers, signedHeaders }));
      assert.equal(error.reason, 'signed_headers_invalid', signedHeaders.join(';'));
    }
  });

  it('refuses a signed header missing from the request', async () => {
    const request = signed({ headers: { 'content-type': 'application/json' } });
    assert.equal(await outcome(withHeader(request, 'Content-Type', null)), 'signed_header_missing');
  });

  it('refuses a signed header value outside visible ASCII', async () => {
    const request = handSigned({
      target: '/',
      headers: [
        ['Host', HOST],
        ['X-Amz-Date', formatAmzDate(NOW)],
        ['X-Name', 'Ã©'],
      ],
      signedHeaders: ['host', 'x-amz-date', 'x-name'],
    });
    assert.equal(await outcome(request), 'signed_headers_invalid');
  });

  it('refuses a tampered body, and a malformed or unsigned payload hash', async () => {
    const request = signed({ method: 'POST', body: '{"amount":100}' });
    assert.equal(await outcome({ ...request, body: Buffer.from('{"amount":999}') }), 'payload_hash_mismatch');
    assert.equal(await outcome(withHeader(request, 'X-Amz-Content-Sha256', 'abc')), 'payload_hash_malformed');
    const upper = header(request, 'x-amz-content-sha256').toUpperCase();
    assert.equal(await outcome(withHeader(request, 'X-Amz-Content-Sha256', upper)), 'payload_hash_malformed');
    assert.equal(
      await outcome(withHeader(request, 'X-Amz-Content-Sha256', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD')),
      'payload_hash_malformed',
    );
  });

  it('refuses UNSIGNED-PAYLOAD unless allowed, and then leaves the body unchecked', async () => {
    const unsigned = handSigned({
      method: 'PUT',
      target: '/upload',
      headers: [
        ['Host', HOST],
        ['X-Amz-Date', formatAmzDate(NOW)],
        ['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD'],
      ],
      signedHeaders: ['host', 'x-amz-content-sha256', 'x-amz-date'],
      payloadHash: 'UNSIGNED-PAYLOAD',
      body: Buffer.from('anything'),
    });
    assert.equal(await outcome(unsigned), 'payload_unsigned');
    assert.equal(await outcome(unsigned, { allowUnsignedPayload: true }), 'accepted');
    assert.equal(
      await outcome({ ...unsigned, body: Buffer.from('else') }, { allowUnsignedPayload: true }),
      'accepted',
    );
  });

  it('refuses wrong signatures and unknown keys alike to the caller', async () => {
    const wrongSecret = await refusal(signed({ secret: 'another-secret' }));
    const unknown = await refusal(signed(), { signingKeyFor: () => undefined });
    const revoked = await refusal(signed(), { signingKeyFor: () => null });
    for (const error of [wrongSecret, unknown, revoked]) {
      assert.equal(error.reason, 'signature_mismatch');
      assert.equal(error.status, 401);
      assert.equal(error.description, wrongSecret.description);
    }
    assert.notEqual(wrongSecret.detail, unknown.detail);
  });

  it('refuses any change to the method, path, query or a signed header', async () => {
    const request = signed({ headers: { 'x-request-id': 'req-1' } });
    assert.equal(await outcome({ ...request, method: 'DELETE' }), 'signature_mismatch');
    assert.equal(await outcome({ ...request, target: '/v1/charges?limit=11' }), 'signature_mismatch');
    assert.equal(await outcome({ ...request, target: '/v1/refunds?limit=10' }), 'signature_mismatch');
    assert.equal(await outcome({ ...request, target: '/v1/charges?limit=10&all' }), 'signature_mismatch');
    assert.equal(await outcome(withHeader(request, 'X-Request-Id', 'req-2')), 'signature_mismatch');
    assert.equal(await outcome(withHeader(request, 'Host', 'evil.example:8081')), 'signature_mismatch');
  });

  it('refuses a replay, and records only verified signatures, until the end of the window', async () => {
    const recorded = new Map<string, number>();
    const seen = (signature: string, untilMs: number) => {
      const known = recorded.has(signature);
      recorded.set(signature, untilMs);
      return known;
    };
    const request = signed();
    assert.equal(await outcome(request, { seen }), 'accepted');
    const again = await refusal(request, { seen });
    assert.equal(again.reason, 'replayed');
    assert.equal(again.status, 401);
    assert.deepEqual([...recorded.values()], [NOW + 300_000]);
    assert.equal(await outcome(signed({ secret: 'wrong' }), { seen }), 'signature_mismatch');
    assert.equal(recorded.size, 1);
  });

  it('keeps signatures and keys out of every error text', async () => {
    const request = signed();
    const signature = header(request, 'authorization').slice(-64);
    const errors = [
      await refusal(signed({ secret: 'wrong' })),
      await refusal(request, { seen: () => true }),
      await refusal(withHeader(request, 'Authorization', `${header(request, 'authorization')}x`)),
    ];
    for (const error of errors) {
      for (const text of [error.description, error.detail, error.message]) {
        assert.ok(!text.includes(signature.slice(0, 16)), text);
        assert.ok(!text.includes(SECRET), text);
        assert.ok(!text.includes(ID), text);
      }
    }
  });
});

describe('verifySigV4Request: curl 7 signatures', () => {
  const curlHeaders = (): Array<[string, string]> => [
    ['Host', HOST],
    ['X-Amz-Date', formatAmzDate(NOW)],
  ];

  it('accepts a signature over the path and query exactly as sent, unless told not to', async () => {
    const target = '/v1/files/a%20b?b=2&a=1&a=0&c';
    const request = handSigned({
      target,
      headers: curlHeaders(),
      signedHeaders: ['host', 'x-amz-date'],
      canonicalPath: '/v1/files/a%20b',
      canonicalQuery: 'b=2&a=1&a=0&c',
    });
    const result = await verifySigV4Request(request, options());
    assert.ok(result.ok);
    assert.equal(result.value.canonicalization, 'curl7');
    assert.equal(await outcome(request, { acceptCurl7Signatures: false }), 'signature_mismatch');
  });

  it('never reads a raw path whose escapes have raw twins, so one signature covers one path', async () => {
    // A SigV4 signer signs '/a%20b' as '/a%2520b'. Sent as '/a%2520b' (another path: its
    // segment is "a%20b"), the raw form would match that signature: it must not be tried.
    const honest = handSigned({
      target: '/a%20b',
      headers: curlHeaders(),
      signedHeaders: ['host', 'x-amz-date'],
    });
    assert.equal(await outcome(honest), 'accepted');
    assert.equal(await outcome({ ...honest, target: '/a%2520b' }), 'signature_mismatch');
  });
});

describe('verifySigV4Request: misuse throws', () => {
  it('throws on bad options and malformed request objects', async () => {
    const request = signed();
    await assert.rejects(verifySigV4Request(request, options({ region: 'lo/cal' })), TypeError);
    await assert.rejects(verifySigV4Request(request, options({ service: '' })), TypeError);
    await assert.rejects(verifySigV4Request(request, { ...options(), seen: undefined as never }), TypeError);
    await assert.rejects(verifySigV4Request(request, options({ clockToleranceSeconds: 3600 })), RangeError);
    await assert.rejects(verifySigV4Request({ ...request, rawHeaders: ['Host'] }, options()), TypeError);
    await assert.rejects(verifySigV4Request({ ...request, body: 'text' as never }, options()), TypeError);
    await assert.rejects(
      verifySigV4Request({ ...request, body: { sha256Hex: 'ABC' } }, options()),
      TypeError,
    );
    await assert.rejects(
      verifySigV4Request(request, options({ signingKeyFor: () => new Uint8Array(16) })),
      /32-byte/,
    );
  });

  it('lets a failing lookup or replay store throw', async () => {
    await assert.rejects(
      verifySigV4Request(
        signed(),
        options({ signingKeyFor: async () => Promise.reject(new Error('database down')) }),
      ),
      /database down/,
    );
    await assert.rejects(
      verifySigV4Request(signed(), options({ seen: () => Promise.reject(new Error('redis down')) })),
      /redis down/,
    );
  });
});

// Requests as arbitrary as the verifier accepts: any method, paths of encoded text and raw
// sub-delimiters, queries of arbitrary text, headers of visible ASCII, any body.
const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const wellFormed = (maxLength: number) =>
  fc.string({ unit: 'binary', maxLength }).filter((text) => !LONE_SURROGATE.test(text));
const segmentArb = fc
  .oneof(
    wellFormed(10).map((text) => encodeURIComponent(text)),
    fc.string({ unit: fc.constantFrom(...`${alnum}-._~!$&'()*+,;=:@`), maxLength: 8 }),
  )
  .filter((segment) => segment !== '' && segment !== '.' && segment !== '..');
const pathArb = fc.array(segmentArb, { maxLength: 4 }).map((segments) => `/v1/${segments.join('/')}`);
const queryArb = fc
  .array(fc.tuple(wellFormed(8), wellFormed(8), fc.boolean()), { maxLength: 4 })
  .map((pairs) =>
    pairs
      .map(([name, value, plus]) => {
        const encode = (text: string) =>
          plus ? encodeURIComponent(text).replaceAll('%20', '+') : encodeURIComponent(text);
        return `${encode(name)}=${encode(value)}`;
      })
      .join('&'),
  );
const visible = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
  minLength: 1,
  maxLength: 12,
});
const requestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'patch', 'PROPFIND'),
  path: pathArb,
  query: queryArb,
  headers: fc.dictionary(
    fc.constantFrom('content-type', 'accept', 'x-tenant', 'my-header1', 'if-match'),
    visible,
    { maxKeys: 3 },
  ),
  body: fc.oneof(wellFormed(40), fc.uint8Array({ maxLength: 40 })),
  requestId: fc.string({ unit: fc.constantFrom(...alnum), minLength: 1, maxLength: 10 }),
});
type ArbitraryRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function signArbitrary(input: ArbitraryRequest): SigV4Request {
  return signed({
    method: input.method,
    target: `${input.path}?k=v&${input.query}`,
    headers: { ...input.headers, 'x-request-id': `req-${input.requestId}` },
    body: input.body,
  });
}

// Positions of letters and digits outside %XX escapes: changing one of them changes what
// the request means, so the signature must no longer match.
function mutablePositions(text: string): number[] {
  const positions: number[] = [];
  for (let index = 0; index < text.length; index++) {
    if (text[index] === '%') index += 2;
    else if (alnum.includes(text[index] ?? '')) positions.push(index);
  }
  return positions;
}

function replaceAt(text: string, index: number, char: string): string {
  return text.slice(0, index) + char + text.slice(index + 1);
}

describe('verifySigV4Request: properties', () => {
  it('accepts every request signSigV4Request signs', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (input) => {
        const result = await verifySigV4Request(signArbitrary(input), options());
        assert.ok(result.ok, result.ok ? '' : result.error.detail);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every one-character change to the method, path, query, a signed header or the body', async () => {
    const part = fc.constantFrom('method', 'path', 'query', 'header', 'body', 'date');
    await fc.assert(
      fc.asyncProperty(
        requestArb,
        part,
        fc.nat(),
        fc.constantFrom(...alnum),
        async (input, which, pick, char) => {
          const request = signArbitrary(input);
          const [path = '', query = ''] = request.target.split(/\?(.*)/s);
          let changed: SigV4Request;
          if (which === 'method') {
            const at = pick % request.method.length;
            fc.pre(request.method[at] !== char);
            changed = { ...request, method: replaceAt(request.method, at, char) };
          } else if (which === 'path' || which === 'query') {
            const text = which === 'path' ? path : query;
            const positions = mutablePositions(text);
            const at = positions[pick % positions.length] ?? 0;
            fc.pre(text[at] !== char);
            const mutated = replaceAt(text, at, char);
            changed = { ...request, target: which === 'path' ? `${mutated}?${query}` : `${path}?${mutated}` };
          } else if (which === 'header') {
            const value = header(request, 'x-request-id');
            const at = 4 + (pick % (value.length - 4));
            fc.pre(value[at] !== char);
            changed = withHeader(request, 'X-Request-Id', replaceAt(value, at, char));
          } else if (which === 'body') {
            const body = Buffer.concat([request.body as Uint8Array, Buffer.from('!')]);
            changed = { ...request, body };
          } else {
            const date = header(request, 'x-amz-date');
            const digit = String((Number(date[14]) + 1 + (pick % 9)) % 10);
            changed = withHeader(request, 'X-Amz-Date', replaceAt(date, 14, digit));
          }
          const result = await verifySigV4Request(changed, options());
          assert.equal(result.ok, false, `${which} changed and still accepted`);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never throws on hostile input', async () => {
    const good = signed();
    const near = (text: string) =>
      fc
        .tuple(fc.nat({ max: text.length }), fc.string({ unit: 'binary', maxLength: 3 }), fc.nat({ max: 3 }))
        .map(([at, insert, drop]) => text.slice(0, at) + insert + text.slice(at + drop));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary' }), near(good.target)),
        fc.oneof(fc.string({ unit: 'binary' }), near(header(good, 'authorization'))),
        fc.oneof(fc.string({ unit: 'binary' }), near(header(good, 'x-amz-date'))),
        fc
          .array(fc.string({ unit: 'binary' }), { maxLength: 6 })
          .map((items) => (items.length % 2 === 0 ? items : items.slice(1))),
        async (target, authorization, date, extra) => {
          const request: SigV4Request = {
            method: 'GET',
            target,
            rawHeaders: ['Host', HOST, 'Authorization', authorization, 'X-Amz-Date', date, ...extra],
            body: new Uint8Array(),
          };
          const result = await verifySigV4Request(request, options());
          if (!result.ok) assert.ok([400, 401].includes(result.error.status));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts what @smithy/signature-v4 and aws4 sign, in process', async () => {
    const smithy = new SignatureV4({
      credentials: { accessKeyId: ID, secretAccessKey: SECRET },
      region: 'local',
      service: 'billing',
      sha256: Sha256,
    });
    await fc.assert(
      fc.asyncProperty(requestArb, async (input) => {
        const body = typeof input.body === 'string' ? Buffer.from(input.body) : Buffer.from(input.body);
        const query: Record<string, string | string[]> = Object.create(null);
        for (const [name, value] of new URLSearchParams(input.query)) {
          const existing = Object.hasOwn(query, name) ? query[name] : undefined;
          query[name] = existing === undefined ? value : [existing, value].flat();
        }
        const wireQuery = new URLSearchParams(input.query).toString();
        const fromSmithy = (await smithy.sign(
          new HttpRequest({
            method: input.method,
            protocol: 'http:',
            hostname: '127.0.0.1',
            port: 8081,
            path: input.path,
            query,
            headers: { host: HOST, ...input.headers },
            body,
          }),
          { signingDate: new Date(NOW) },
        )) as HttpRequest;
        const smithyResult = await verifySigV4Request(
          {
            method: input.method,
            target: wireQuery === '' ? input.path : `${input.path}?${wireQuery}`,
            rawHeaders: Object.entries(fromSmithy.headers).flat(),
            body,
          },
          options(),
        );
        // smithy collects the query into a plain object: a name "__proto__" breaks it.
        if (!Object.hasOwn(query, '__proto__')) {
          assert.ok(smithyResult.ok, smithyResult.ok ? '' : `smithy: ${smithyResult.error.detail}`);
        }

        const fromAws4 = aws4.sign(
          {
            host: HOST,
            method: input.method,
            path: `${input.path}?${input.query}`,
            headers: { ...input.headers, 'X-Amz-Date': formatAmzDate(NOW) },
            body,
            service: 'billing',
            region: 'local',
          },
          { accessKeyId: ID, secretAccessKey: SECRET },
        );
        const aws4Result = await verifySigV4Request(
          {
            method: input.method,
            target: fromAws4.path ?? '/',
            rawHeaders: Object.entries(fromAws4.headers ?? {}).flatMap(([name, value]) => [
              name,
              String(value),
            ]),
            body,
          },
          options(),
        );
        // aws4 drops a "__proto__" query name from what it signs but not from the path.
        if (!Object.hasOwn(query, '__proto__')) {
          assert.ok(aws4Result.ok, aws4Result.ok ? '' : `aws4: ${aws4Result.error.detail}`);
        }
      }),
      { numRuns: 150 },
    );
  });
});

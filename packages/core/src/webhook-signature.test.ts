import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import {
  generateWebhookId,
  generateWebhookSecret,
  parseWebhookSecret,
  signWebhook,
  verifyWebhook,
  WebhookRejected,
  type WebhookRejectionReason,
  webhookHeaders,
} from './webhook-signature.js';

// The vector of the Standard Webhooks JavaScript library's own tests ("sign function works").
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_TIMESTAMP = 1614265330;
const SPEC_PAYLOAD = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

const at = (seconds: number) => new Date(seconds * 1000);

function refusal(result: ReturnType<typeof verifyWebhook>): WebhookRejected {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) throw new Error('unreachable');
  assert.ok(result.error instanceof WebhookRejected);
  return result.error;
}

function assertRefused(
  result: ReturnType<typeof verifyWebhook>,
  reason: WebhookRejectionReason,
): WebhookRejected {
  const error = refusal(result);
  assert.equal(error.reason, reason, error.detail);
  return error;
}

/** The reference library's verify at a fixed clock, without its JSON parsing. */
function theirVerify(secret: string, payload: string, headers: Record<string, string>, nowSeconds: number) {
  const realNow = Date.now;
  Date.now = () => nowSeconds * 1000;
  try {
    return new Webhook(secret).verify(payload, headers, { jsonParse: false });
  } finally {
    Date.now = realNow;
  }
}

describe('webhook secrets', () => {
  it('generates whsec_ secrets of 32 bytes by default, and 24 to 64 on request', () => {
    const secret = generateWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(parseWebhookSecret(secret)?.length, 32);
    assert.equal(parseWebhookSecret(generateWebhookSecret(24))?.length, 24);
    assert.equal(parseWebhookSecret(generateWebhookSecret(64))?.length, 64);
    assert.notEqual(generateWebhookSecret(), generateWebhookSecret());
    for (const length of [0, 23, 65, 32.5, Number.NaN]) {
      assert.throws(() => generateWebhookSecret(length), RangeError);
    }
  });

  it('parses the example secret of the specification libraries', () => {
    assert.equal(parseWebhookSecret(SPEC_SECRET)?.toString('base64'), SPEC_SECRET.slice(6));
  });

  it('refuses anything but whsec_ and canonical padded base64 of 24 to 64 bytes', () => {
    const body = Buffer.alloc(32, 0xfb).toString('base64'); // '+/v7…+/s='
    assert.ok(parseWebhookSecret(`whsec_${body}`));
    for (const text of [
      body, // no prefix
      `WHSEC_${body}`,
      `whsec_${body.slice(0, -1)}`, // padding dropped
      `whsec_${body}=`,
      `whsec_${body} `,
      `whsec_ ${body}`,
      `whsec_${Buffer.alloc(32, 0xfb).toString('base64url')}`, // the base64url alphabet
      `whsec_${body.slice(0, -2)}t=`, // non-zero spare bits: a second spelling of the same key
      `whsec_${body.slice(0, 20)}\n${body.slice(20)}`,
      `whsec_${Buffer.alloc(23).toString('base64')}`,
      `whsec_${Buffer.alloc(65).toString('base64')}`,
      'whsec_',
      '',
      `whsec_${body}\n`,
    ]) {
      assert.equal(parseWebhookSecret(text), null, JSON.stringify(text));
    }
    for (const value of [undefined, null, 42, {}, Buffer.from(SPEC_SECRET)]) {
      assert.equal(parseWebhookSecret(value), null);
    }
  });

  it('never throws, whatever the input (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((text) => `whsec_${text}`),
          fc.anything(),
        ),
        (input) => {
          const key = parseWebhookSecret(input);
          assert.ok(key === null || (key.length >= 24 && key.length <= 64));
        },
      ),
    );
  });
});

describe('signWebhook', () => {
  it('reproduces the signature of the reference library vector', () => {
    assert.equal(
      signWebhook({ id: SPEC_ID, timestamp: SPEC_TIMESTAMP, payload: SPEC_PAYLOAD }, SPEC_SECRET),
      SPEC_SIGNATURE,
    );
  });

  it('is an HMAC-SHA256 of id.timestamp.payload under the decoded secret', () => {
    const secret = generateWebhookSecret();
    const payload = Buffer.from([0x7b, 0xff, 0x00, 0x7d]); // not UTF-8: the bytes are signed as they are
    const expected = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
      .update(Buffer.concat([Buffer.from('msg_x.1700000000.'), payload]))
      .digest('base64');
    assert.equal(signWebhook({ id: 'msg_x', timestamp: 1700000000, payload }, secret), `v1,${expected}`);
  });

  it('signs a string as its UTF-8 bytes', () => {
    const secret = generateWebhookSecret();
    const message = { id: 'msg_1', timestamp: 1700000000 };
    assert.equal(
      signWebhook({ ...message, payload: '{"name":"Zoë 🔑"}' }, secret),
      signWebhook({ ...message, payload: Buffer.from('{"name":"Zoë 🔑"}', 'utf8') }, secret),
    );
  });

  it('signs with every secret given, space-separated, in order', () => {
    const [next, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const message = { id: 'msg_1', timestamp: 1700000000, payload: '{}' };
    assert.equal(
      signWebhook(message, [next, previous]),
      `${signWebhook(message, next)} ${signWebhook(message, previous)}`,
    );
  });

  it('builds the three headers', () => {
    const headers = webhookHeaders(
      { id: SPEC_ID, timestamp: SPEC_TIMESTAMP, payload: SPEC_PAYLOAD },
      SPEC_SECRET,
    );
    assert.deepEqual(headers, {
      'webhook-id': SPEC_ID,
      'webhook-timestamp': String(SPEC_TIMESTAMP),
      'webhook-signature': SPEC_SIGNATURE,
    });
  });

  it('refuses misuse with a TypeError that never holds the secret', () => {
    const secret = generateWebhookSecret();
    const message = { id: 'msg_1', timestamp: 1700000000, payload: '{}' };
    const misuses: [string, () => unknown][] = [
      ['bad secret', () => signWebhook(message, `${secret}x`)],
      ['no secret', () => signWebhook(message, [])],
      ['id with a dot', () => signWebhook({ ...message, id: 'msg.1' }, secret)],
      ['empty id', () => signWebhook({ ...message, id: '' }, secret)],
      ['id with a space', () => signWebhook({ ...message, id: 'msg 1' }, secret)],
      ['id too long', () => signWebhook({ ...message, id: 'm'.repeat(257) }, secret)],
      ['fractional timestamp', () => signWebhook({ ...message, timestamp: 1.5 }, secret)],
      ['negative timestamp', () => signWebhook({ ...message, timestamp: -1 }, secret)],
      ['timestamp past 15 digits', () => signWebhook({ ...message, timestamp: 10 ** 15 }, secret)],
      ['parsed payload', () => signWebhook({ ...message, payload: {} as unknown as string }, secret)],
    ];
    for (const [name, misuse] of misuses) {
      assert.throws(misuse, (error: unknown) => {
        assert.ok(error instanceof TypeError, name);
        assert.ok(!error.message.includes(secret.slice(6, 20)), name);
        return true;
      });
    }
  });

  it('makes ids that are valid and distinct', () => {
    const id = generateWebhookId();
    assert.match(id, /^msg_[A-Za-z0-9_-]{22}$/);
    assert.notEqual(id, generateWebhookId());
  });
});

describe('verifyWebhook', () => {
  const secret = generateWebhookSecret();
  const now = 1700000000;
  const payload = '{"type":"invoice.paid","data":{"id":"in_1"}}';
  const signed = (overrides: Partial<{ id: string; timestamp: number; payload: string | Uint8Array }> = {}) =>
    webhookHeaders({ id: 'msg_1', timestamp: now, payload, ...overrides }, secret);

  it('accepts a webhook signed with the secret, and says which secret matched', () => {
    const result = verifyWebhook(signed(), payload, secret, { now: at(now) });
    assert.deepEqual(result, { ok: true, value: { id: 'msg_1', timestamp: now, secretIndex: 0 } });
  });

  it('accepts the reference library vector', () => {
    const headers = {
      'webhook-id': SPEC_ID,
      'webhook-timestamp': String(SPEC_TIMESTAMP),
      'webhook-signature': SPEC_SIGNATURE,
    };
    assert.equal(verifyWebhook(headers, SPEC_PAYLOAD, SPEC_SECRET, { now: at(SPEC_TIMESTAMP) }).ok, true);
  });

  it('verifies the exact bytes, string or Buffer alike', () => {
    const bytes = Buffer.from([0xc3, 0x28, 0x00, 0xff]); // invalid UTF-8, signed as is
    const headers = signed({ payload: bytes });
    assert.equal(verifyWebhook(headers, bytes, secret, { now: at(now) }).ok, true);
    assert.equal(verifyWebhook(headers, new Uint8Array(bytes), secret, { now: at(now) }).ok, true);
    // Decoding the bytes as text replaces them and no longer matches.
    assert.equal(verifyWebhook(headers, bytes.toString('utf8'), secret, { now: at(now) }).ok, false);
  });

  it('refuses a body that was parsed and serialized again', () => {
    const pretty = '{ "type": "invoice.paid", "data": { "id": "in_1" } }';
    const headers = signed({ payload: pretty });
    assertRefused(
      verifyWebhook(headers, JSON.stringify(JSON.parse(pretty)), secret, { now: at(now) }),
      'signature_mismatch',
    );
  });

  it('accepts exactly the tolerance in both directions, and refuses one second more', () => {
    const headers = signed();
    for (const [clock, expected] of [
      [now + 300, true],
      [now - 300, true],
      [now + 301, 'timestamp_too_old'],
      [now - 301, 'timestamp_too_new'],
    ] as const) {
      const result = verifyWebhook(headers, payload, secret, { now: at(clock) });
      if (expected === true) assert.equal(result.ok, true, String(clock - now));
      else assertRefused(result, expected);
    }
    // Fractions of the current second do not count against the sender.
    assert.equal(
      verifyWebhook(headers, payload, secret, { now: new Date((now + 300) * 1000 + 999) }).ok,
      true,
    );
  });

  it('honours a custom tolerance, including zero', () => {
    const headers = signed();
    assert.equal(verifyWebhook(headers, payload, secret, { now: at(now), toleranceSeconds: 0 }).ok, true);
    assertRefused(
      verifyWebhook(headers, payload, secret, { now: at(now + 1), toleranceSeconds: 0 }),
      'timestamp_too_old',
    );
    assert.equal(
      verifyWebhook(headers, payload, secret, { now: at(now + 3600), toleranceSeconds: 3600 }).ok,
      true,
    );
  });

  it('refuses a tampered payload, id or timestamp', () => {
    const headers = signed();
    assertRefused(verifyWebhook(headers, `${payload} `, secret, { now: at(now) }), 'signature_mismatch');
    assertRefused(
      verifyWebhook({ ...headers, 'webhook-id': 'msg_2' }, payload, secret, { now: at(now) }),
      'signature_mismatch',
    );
    assertRefused(
      verifyWebhook({ ...headers, 'webhook-timestamp': String(now + 1) }, payload, secret, { now: at(now) }),
      'signature_mismatch',
    );
  });

  it('refuses a signature made with another secret', () => {
    const other = generateWebhookSecret();
    assertRefused(verifyWebhook(signed(), payload, other, { now: at(now) }), 'signature_mismatch');
  });

  it('accepts when any signature matches any secret (rotation)', () => {
    const [next, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const message = { id: 'msg_1', timestamp: now, payload };
    const both = webhookHeaders(message, [next, previous]);
    const onlyPrevious = webhookHeaders(message, previous);
    const onlyNext = webhookHeaders(message, next);
    const verify = (headers: object, secrets: string | string[]) =>
      verifyWebhook(headers as Record<string, string>, payload, secrets, { now: at(now) });

    assert.equal(verify(both, previous).ok, true, 'receiver still on the old secret');
    assert.equal(verify(both, next).ok, true, 'receiver already on the new secret');
    assert.deepEqual(verify(onlyPrevious, [next, previous]), {
      ok: true,
      value: { id: 'msg_1', timestamp: now, secretIndex: 1 },
    });
    assert.deepEqual(verify(onlyNext, [next, previous]), {
      ok: true,
      value: { id: 'msg_1', timestamp: now, secretIndex: 0 },
    });
    assertRefused(verify(both, generateWebhookSecret()), 'signature_mismatch');
  });

  it('skips unknown versions and malformed entries, and still finds the v1 one', () => {
    const good = signed()['webhook-signature'];
    const header = `v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==  v2,abc v1 garbage v1,!!! ${good}`;
    const headers = { ...signed(), 'webhook-signature': header };
    assert.equal(verifyWebhook(headers, payload, secret, { now: at(now) }).ok, true);
    const withoutGood = { ...headers, 'webhook-signature': header.replace(good, '') };
    assertRefused(verifyWebhook(withoutGood, payload, secret, { now: at(now) }), 'signature_mismatch');
    // The right HMAC under another version label does not count.
    const relabelled = { ...headers, 'webhook-signature': good.replace('v1,', 'v2,') };
    assertRefused(verifyWebhook(relabelled, payload, secret, { now: at(now) }), 'signature_mismatch');
  });

  it('reads header names in any case, arrays of one value and fetch Headers', () => {
    const headers = signed();
    const upper = {
      'Webhook-Id': headers['webhook-id'],
      'WEBHOOK-TIMESTAMP': [headers['webhook-timestamp']],
      'webhook-Signature': headers['webhook-signature'],
      'content-type': 'application/json',
    };
    assert.equal(verifyWebhook(upper, payload, secret, { now: at(now) }).ok, true);
    assert.equal(verifyWebhook(new Headers(headers), payload, secret, { now: at(now) }).ok, true);
  });

  it('names the missing header', () => {
    const headers = signed();
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      for (const value of [undefined, '', []]) {
        const error = assertRefused(
          verifyWebhook({ ...headers, [name]: value }, payload, secret, { now: at(now) }),
          'header_missing',
        );
        assert.equal(error.description, `The ${name} header is missing.`);
        assert.equal(error.status, 401);
      }
    }
    assertRefused(verifyWebhook({}, payload, secret, { now: at(now) }), 'header_missing');
    assertRefused(verifyWebhook(new Headers(), payload, secret, { now: at(now) }), 'header_missing');
  });

  it('refuses malformed headers as malformed, naming the header', () => {
    const headers = signed();
    const cases: [string, Record<string, unknown>][] = [
      ['webhook-id', { 'webhook-id': 'msg.1' }],
      ['webhook-id', { 'webhook-id': 'msg_1, msg_2' }],
      ['webhook-id', { 'webhook-id': 'msg_é' }],
      ['webhook-id', { 'webhook-id': 'm'.repeat(257) }],
      ['webhook-id', { 'webhook-id': ['msg_1', 'msg_2'] }],
      ['webhook-id', { 'webhook-id': 'msg_1', 'Webhook-Id': 'msg_2' }],
      ['webhook-timestamp', { 'webhook-timestamp': `${now}.5` }],
      ['webhook-timestamp', { 'webhook-timestamp': `0${now}` }],
      ['webhook-timestamp', { 'webhook-timestamp': `${now}abc` }],
      ['webhook-timestamp', { 'webhook-timestamp': `-${now}` }],
      ['webhook-timestamp', { 'webhook-timestamp': ` ${now}` }],
      ['webhook-timestamp', { 'webhook-timestamp': '1e9' }],
      ['webhook-timestamp', { 'webhook-timestamp': '9'.repeat(16) }],
      ['webhook-timestamp', { 'webhook-timestamp': 1700000000 }],
      ['webhook-signature', { 'webhook-signature': `${headers['webhook-signature']} `.repeat(200) }],
    ];
    for (const [name, override] of cases) {
      const error = assertRefused(
        verifyWebhook({ ...headers, ...override } as Record<string, string>, payload, secret, {
          now: at(now),
        }),
        'header_malformed',
      );
      assert.equal(error.description, `The ${name} header is malformed.`, JSON.stringify(override));
      assert.equal(error.status, 400);
    }
  });

  it('refuses with texts that hold neither the secret nor the expected signature', () => {
    const forged = { ...signed(), 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}` };
    const error = assertRefused(
      verifyWebhook(forged, payload, secret, { now: at(now) }),
      'signature_mismatch',
    );
    const expected = signed()['webhook-signature'].slice(3);
    for (const text of [error.message, error.description, error.detail, JSON.stringify(error.toJSON())]) {
      assert.ok(!text.includes(secret.slice(6)));
      assert.ok(!text.includes(expected));
    }
    assert.deepEqual(error.toJSON(), {
      error: 'invalid_signature',
      error_description: 'No webhook signature matches.',
    });
  });

  it('throws on misuse rather than refusing', () => {
    const headers = signed();
    assert.throws(() => verifyWebhook(headers, payload, [], { now: at(now) }), TypeError);
    assert.throws(() => verifyWebhook(headers, payload, 'not-a-secret', { now: at(now) }), TypeError);
    assert.throws(() => verifyWebhook(headers, JSON.parse(payload), secret, { now: at(now) }), TypeError);
    assert.throws(() => verifyWebhook(headers, payload, secret, { toleranceSeconds: -1 }), TypeError);
    assert.throws(() => verifyWebhook(headers, payload, secret, { now: new Date(Number.NaN) }), TypeError);
  });

  it('refuses any one-byte change of the payload (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, position, delta) => {
          const body = Buffer.from(bytes);
          const headers = signed({ payload: body });
          assert.equal(verifyWebhook(headers, body, secret, { now: at(now) }).ok, true);
          const changed = Buffer.from(body);
          const index = position % changed.length;
          changed[index] = ((changed[index] ?? 0) + delta) % 256;
          assertRefused(verifyWebhook(headers, changed, secret, { now: at(now) }), 'signature_mismatch');
        },
      ),
    );
  });

  it('never throws on hostile headers, and accepts only what was signed (property)', () => {
    const headerValue = fc.oneof(
      fc.string(),
      fc.constantFrom('', ' ', 'v1,', 'v1,=', `${now}`, 'msg_1', 'v1,'.padEnd(47, 'A')),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(
        fc.record({
          'webhook-id': headerValue,
          'webhook-timestamp': headerValue,
          'webhook-signature': headerValue,
        }),
        fc.string(),
        (headers, body) => {
          const result = verifyWebhook(headers, body, secret, { now: at(now) });
          assert.equal(result.ok, false);
        },
      ),
    );
  });
});

describe('interoperability with the standardwebhooks package', () => {
  const payload =
    '{"type":"user.created","timestamp":"2023-01-19T00:13:51Z","data":{"id":"u_1","name":"Zoë"}}';

  it('our signature verifies with theirs', () => {
    const secret = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders({ id: generateWebhookId(), timestamp: now, payload }, secret);
    assert.doesNotThrow(() => theirVerify(secret, payload, { ...headers }, now));
    assert.throws(() => theirVerify(secret, `${payload} `, { ...headers }, now), /No matching signature/);
  });

  it('their signature verifies with ours', () => {
    const secret = generateWebhookSecret();
    const now = 1700000000;
    const signature = new Webhook(secret).sign('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', at(now), payload);
    const headers = {
      'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      'webhook-timestamp': String(now),
      'webhook-signature': signature,
    };
    assert.equal(verifyWebhook(headers, payload, secret, { now: at(now) }).ok, true);
    assert.equal(verifyWebhook(headers, Buffer.from(payload), secret, { now: at(now) }).ok, true);
    assertRefused(verifyWebhook(headers, `${payload} `, secret, { now: at(now) }), 'signature_mismatch');
  });

  it('both sides agree on the signature for many messages (property)', () => {
    const secret = generateWebhookSecret(24);
    const theirs = new Webhook(secret);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        fc.integer({ min: 0, max: 4102444800 }),
        fc.string({ unit: 'grapheme', maxLength: 100 }),
        (id, timestamp, body) => {
          assert.equal(
            signWebhook({ id, timestamp, payload: body }, secret),
            theirs.sign(id, at(timestamp), body),
          );
        },
      ),
    );
  });

  it('rotation: two secrets, two signatures, either side', () => {
    const [next, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const now = Math.floor(Date.now() / 1000);
    const id = generateWebhookId();

    // Ours signs with both; their verifier holds either one.
    const ours = webhookHeaders({ id, timestamp: now, payload }, [next, previous]);
    assert.equal(ours['webhook-signature'].split(' ').length, 2);
    assert.doesNotThrow(() => theirVerify(next, payload, { ...ours }, now));
    assert.doesNotThrow(() => theirVerify(previous, payload, { ...ours }, now));

    // Theirs signs with each, joined as a rotating sender would; ours holds either or both.
    const joined = [next, previous].map((secret) => new Webhook(secret).sign(id, at(now), payload)).join(' ');
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': joined };
    for (const secrets of [[next], [previous], [previous, next]]) {
      assert.equal(verifyWebhook(headers, payload, secrets, { now: at(now) }).ok, true);
    }
    assertRefused(
      verifyWebhook(headers, payload, generateWebhookSecret(), { now: at(now) }),
      'signature_mismatch',
    );
  });

  it('both refuse the same stale and future timestamps', () => {
    const secret = generateWebhookSecret();
    const now = 1700000000;
    for (const [offset, expected] of [
      [-300, true],
      [300, true],
      [-301, false],
      [301, false],
    ] as const) {
      const headers = webhookHeaders({ id: 'msg_1', timestamp: now + offset, payload }, secret);
      const ours = verifyWebhook(headers, payload, secret, { now: at(now) }).ok;
      let theirs = true;
      try {
        theirVerify(secret, payload, { ...headers }, now);
      } catch {
        theirs = false;
      }
      assert.equal(ours, expected, `ours at ${offset}`);
      assert.equal(theirs, expected, `theirs at ${offset}`);
    }
  });
});

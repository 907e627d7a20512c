import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SealedBox } from './sealed-box.js';

const box = new SealedBox(randomBytes(32));
const CONTEXT = 'signing-key:kid-1';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The three parts of a sealed value, decoded; the body split into ciphertext and tag. */
function parts(sealed: string) {
  const [version, iv, body] = sealed.split('.');
  assert.ok(version !== undefined && iv !== undefined && body !== undefined, sealed);
  const bytes = Buffer.from(body, 'base64url');
  return {
    version,
    iv: Buffer.from(iv, 'base64url'),
    ciphertext: bytes.subarray(0, bytes.length - 16),
    tag: bytes.subarray(bytes.length - 16),
  };
}

function join(version: string, iv: Buffer, ciphertext: Buffer, tag: Buffer): string {
  return `${version}.${iv.toString('base64url')}.${Buffer.concat([ciphertext, tag]).toString('base64url')}`;
}

function flipBit(bytes: Buffer, index: number, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ (1 << bit);
  return copy;
}

describe('SealedBox', () => {
  it('needs a 32-byte key', () => {
    assert.throws(() => new SealedBox(randomBytes(16)), TypeError);
    assert.throws(() => new SealedBox(randomBytes(33)), TypeError);
  });

  it('opens what it sealed: strings, bytes, empty and large values', () => {
    const large = randomBytes(1024 * 1024 + 7);
    assert.deepEqual(box.open(box.seal('a private JWK', CONTEXT), CONTEXT), Buffer.from('a private JWK'));
    assert.deepEqual(box.open(box.seal('é🔑\0', CONTEXT), CONTEXT), Buffer.from('é🔑\0'));
    assert.deepEqual(box.open(box.seal(large, CONTEXT), CONTEXT), large);
    assert.deepEqual(box.open(box.seal('', CONTEXT), CONTEXT), Buffer.alloc(0));
    assert.deepEqual(box.open(box.seal(Buffer.alloc(0), CONTEXT), CONTEXT), Buffer.alloc(0));
  });

  it('round-trips any bytes under any context', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string(), (bytes, context) => {
        const plaintext = Buffer.from(bytes);
        assert.deepEqual(box.open(box.seal(plaintext, context), context), plaintext);
      }),
    );
  });

  it('has the format v1.<iv>.<ciphertext+tag> with a 96-bit IV and a 128-bit tag', () => {
    const sealed = box.seal('0123456789', CONTEXT);
    assert.match(sealed, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const { iv, ciphertext, tag } = parts(sealed);
    assert.equal(iv.length, 12);
    assert.equal(ciphertext.length, 10);
    assert.equal(tag.length, 16);
  });

  it('refuses to open under another context', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (context, other) => {
        fc.pre(context !== other);
        const sealed = box.seal('secret', context);
        assert.throws(() => box.open(sealed, other));
      }),
      { numRuns: 50 },
    );
    const sealed = box.seal('secret', 'signing-key:a');
    assert.throws(() => box.open(sealed, 'signing-key:b'));
    assert.throws(() => box.open(sealed, 'signing-key:a '));
    assert.throws(() => box.open(sealed, ''));
  });

  it('refuses to open under another key', () => {
    const other = new SealedBox(randomBytes(32));
    assert.throws(() => other.open(box.seal('secret', CONTEXT), CONTEXT), /failed to open/);
    assert.throws(() => box.open(other.seal('secret', CONTEXT), CONTEXT), /failed to open/);
  });

  it('seals the same plaintext differently each time (random IV)', () => {
    const seals = new Set(Array.from({ length: 20 }, () => box.seal('same', CONTEXT)));
    assert.equal(seals.size, 20);
    const ivs = new Set([...seals].map((sealed) => parts(sealed).iv.toString('hex')));
    assert.equal(ivs.size, 20);
  });

  it('refuses a value whose version was changed', () => {
    const sealed = box.seal('secret', CONTEXT);
    const rest = sealed.slice('v1'.length);
    for (const version of ['v2', 'v0', 'V1', 'v', '', 'v1 ']) {
      assert.throws(() => box.open(`${version}${rest}`, CONTEXT), /unknown format/, version);
    }
  });

  it('refuses a value with any bit of the IV, ciphertext or tag flipped', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.constantFrom('iv', 'ciphertext', 'tag'),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (bytes, where, position, bit) => {
          const sealed = box.seal(Buffer.from(bytes), CONTEXT);
          const p = parts(sealed);
          const target = p[where as 'iv' | 'ciphertext' | 'tag'];
          const flipped = flipBit(target, position % target.length, bit);
          const tampered =
            where === 'iv'
              ? join(p.version, flipped, p.ciphertext, p.tag)
              : where === 'ciphertext'
                ? join(p.version, p.iv, flipped, p.tag)
                : join(p.version, p.iv, p.ciphertext, flipped);
          assert.throws(() => box.open(tampered, CONTEXT), /failed to open/);
        },
      ),
    );
  });

  it('refuses a value with any one character changed, whenever the change alters the decoded bytes', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.nat(),
        fc.constantFrom(...B64URL, '.', '!', '='),
        (plaintext, position, replacement) => {
          const sealed = box.seal(plaintext, CONTEXT);
          const index = position % sealed.length;
          fc.pre(sealed[index] !== replacement);
          const tampered = `${sealed.slice(0, index)}${replacement}${sealed.slice(index + 1)}`;
          // base64url leaves some low bits of a final character unused: changing only those
          // leaves the sealed bytes as they were, which is no tampering at all.
          const same = (a: string, b: string) => {
            const [va, ia, ba] = a.split('.');
            const [vb, ib, bb] = b.split('.');
            return (
              va === vb &&
              ia !== undefined &&
              ib !== undefined &&
              ba !== undefined &&
              bb !== undefined &&
              Buffer.from(ia, 'base64url').equals(Buffer.from(ib, 'base64url')) &&
              Buffer.from(ba, 'base64url').equals(Buffer.from(bb, 'base64url'))
            );
          };
          fc.pre(!same(sealed, tampered));
          assert.throws(() => box.open(tampered, CONTEXT));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a value whose body was truncated, the tag included', () => {
    // A GCM tag cut short is still a valid (weaker) tag unless its length is pinned: the
    // sealed empty string cut to an 8- or 4-byte tag must not open.
    const opened: string[] = [];
    for (const plaintext of ['', 'x', 'a private JWK']) {
      const sealed = box.seal(plaintext, CONTEXT);
      const [version, iv, body] = sealed.split('.');
      assert.ok(body !== undefined);
      for (let length = 0; length < body.length; length++) {
        try {
          box.open(`${version}.${iv}.${body.slice(0, length)}`, CONTEXT);
          opened.push(`${JSON.stringify(plaintext)} cut to ${length} of ${body.length} characters`);
        } catch {
          // refused, as it should be
        }
      }
    }
    assert.deepEqual(opened, []);
  });

  it('refuses values that are not three dot-separated parts', () => {
    for (const value of ['', 'v1', 'v1.', 'v1.abc', 'garbage']) {
      assert.throws(() => box.open(value, CONTEXT), value);
    }
  });

  it('never puts the plaintext in an error message', () => {
    const plaintext = `PLAINTEXT-${randomBytes(8).toString('hex')}`;
    const sealed = box.seal(plaintext, CONTEXT);
    const p = parts(sealed);
    const attempts = [
      () => box.open(sealed, 'another context'),
      () => new SealedBox(randomBytes(32)).open(sealed, CONTEXT),
      () => box.open(join(p.version, p.iv, flipBit(p.ciphertext, 0, 0), p.tag), CONTEXT),
      () => box.open(join(p.version, p.iv, p.ciphertext, flipBit(p.tag, 15, 7)), CONTEXT),
      () => box.open(`v9${sealed.slice(2)}`, CONTEXT),
    ];
    for (const attempt of attempts) {
      assert.throws(attempt, (error: unknown) => {
        assert.ok(error instanceof Error);
        const text = `${error.message}\n${error.stack ?? ''}\n${String(error.cause ?? '')}`;
        assert.ok(!text.includes(plaintext), text);
        assert.ok(!text.includes(sealed), 'nor the sealed value');
        return true;
      });
    }
  });
});

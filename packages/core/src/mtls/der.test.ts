import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { children, decodeOid, decodeString, readElement, readWhole } from './der.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('readElement', () => {
  it('reads short and long definite lengths', () => {
    assert.deepEqual(readElement(bytes(0x04, 0x01, 0xaa), 0)?.element.contents, bytes(0xaa));
    const long = Uint8Array.from([0x04, 0x81, 0x80, ...new Array(128).fill(7)]);
    assert.equal(readElement(long, 0)?.element.contents.length, 128);
    assert.equal(readElement(long, 0)?.next, 131);
  });

  it('refuses what DER does not allow, and what runs past the end', () => {
    for (const [what, input] of [
      ['indefinite length', bytes(0x30, 0x80, 0x00, 0x00)],
      ['long form below 128', bytes(0x04, 0x81, 0x01, 0xaa)],
      ['a leading zero length byte', Uint8Array.from([0x04, 0x82, 0x00, 0x80, ...new Array(128).fill(0)])],
      ['more than four length bytes', bytes(0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00)],
      ['a multi-byte tag', bytes(0x1f, 0x81, 0x01, 0x00)],
      ['contents past the end', bytes(0x04, 0x02, 0xaa)],
      ['length bytes past the end', bytes(0x04, 0x82, 0x01)],
      ['no length', bytes(0x04)],
    ] as const) {
      assert.equal(readElement(input, 0), null, what);
    }
  });

  it('reads a whole element only when nothing follows, and children only when each is well formed', () => {
    assert.equal(readWhole(bytes(0x05, 0x00, 0x00)), null);
    const sequence = readWhole(bytes(0x30, 0x04, 0x05, 0x00, 0x05, 0x00));
    assert.equal(sequence === null ? null : children(sequence)?.length, 2);
    const broken = readWhole(bytes(0x30, 0x03, 0x05, 0x00, 0x05));
    assert.equal(broken === null ? undefined : children(broken), null);
  });
});

describe('decodeOid', () => {
  it('decodes the first two arcs and multi-byte arcs', () => {
    assert.equal(decodeOid(bytes(0x55, 0x04, 0x03)), '2.5.4.3');
    assert.equal(decodeOid(bytes(0x09, 0x92, 0x26)), '0.9.2342');
    assert.equal(decodeOid(bytes(0x2a, 0x86, 0x48)), '1.2.840');
  });

  it('refuses an empty OID, an unfinished arc, a padded arc and a huge one', () => {
    assert.equal(decodeOid(bytes()), null);
    assert.equal(decodeOid(bytes(0x55, 0x84)), null);
    assert.equal(decodeOid(bytes(0x55, 0x80, 0x01)), null);
    assert.equal(decodeOid(Uint8Array.from([0x55, ...new Array(9).fill(0xff), 0x7f])), null);
  });
});

describe('decodeString', () => {
  const element = (tag: number, ...contents: number[]) => ({
    tag,
    contents: Uint8Array.from(contents),
    encoded: Uint8Array.from([tag, contents.length, ...contents]),
  });

  it('decodes the string types of names', () => {
    assert.equal(decodeString(element(0x0c, 0x5a, 0x6f, 0xc3, 0xab)), 'Zoë');
    assert.equal(decodeString(element(0x13, 0x41, 0x42)), 'AB');
    assert.equal(decodeString(element(0x14, 0xe9)), 'é');
    assert.equal(decodeString(element(0x1e, 0x00, 0x5a, 0x00, 0xeb)), 'Zë');
    assert.equal(decodeString(element(0x1c, 0x00, 0x01, 0xf6, 0x00)), '😀');
  });

  it('refuses bytes a type cannot hold, and types that are no strings', () => {
    assert.equal(decodeString(element(0x0c, 0xc3)), null);
    assert.equal(decodeString(element(0x13, 0xe9)), null);
    assert.equal(decodeString(element(0x1e, 0x00)), null);
    assert.equal(decodeString(element(0x1c, 0x00, 0x11, 0x00, 0x00)), null);
    assert.equal(decodeString(element(0x1c, 0x00, 0x00)), null);
    assert.equal(decodeString(element(0x02, 0x01)), null);
  });
});

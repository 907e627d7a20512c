/**
 * The little of DER (X.690) a certificate's names need: tag, length and contents, read
 * strictly (definite lengths only, in their shortest form, never past the end).
 */

/** One TLV: its tag byte, its contents, and the whole encoding. */
export interface DerElement {
  readonly tag: number;
  readonly contents: Uint8Array;
  /** Tag, length and contents: what RFC 4514 hex-encodes (`#…`) for a value it cannot show. */
  readonly encoded: Uint8Array;
}

export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads the element at `offset`; null when it is malformed or runs past the end. */
export function readElement(bytes: Uint8Array, offset: number): { element: DerElement; next: number } | null {
  if (offset + 2 > bytes.length) return null;
  const tag = bytes[offset] as number;
  // Multi-byte tags (low five bits all set) appear nowhere in the structures read here.
  if ((tag & 0x1f) === 0x1f) return null;
  let length = bytes[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // 0x80 is BER's indefinite length; more than 4 length bytes is no certificate.
    if (count === 0 || count > 4 || start + count > bytes.length) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[start + i] as number);
    // DER: the shortest form, so no leading zero byte and no long form below 128.
    if (bytes[start] === 0 || length < 128) return null;
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) return null;
  return {
    element: { tag, contents: bytes.subarray(start, end), encoded: bytes.subarray(offset, end) },
    next: end,
  };
}

/** The elements a constructed element holds, in order; null when any is malformed. */
export function children(element: DerElement): DerElement[] | null {
  const found: DerElement[] = [];
  let offset = 0;
  while (offset < element.contents.length) {
    const read = readElement(element.contents, offset);
    if (read === null) return null;
    found.push(read.element);
    offset = read.next;
  }
  return found;
}

/** Reads `bytes` as exactly one element, with nothing after it. */
export function readWhole(bytes: Uint8Array): DerElement | null {
  const read = readElement(bytes, 0);
  return read !== null && read.next === bytes.length ? read.element : null;
}

/** An OBJECT IDENTIFIER's dotted form, or null when malformed. */
export function decodeOid(contents: Uint8Array): string | null {
  if (contents.length === 0 || (contents[contents.length - 1] as number) & 0x80) return null;
  const arcs: number[] = [];
  let value = 0;
  for (const byte of contents) {
    if (value === 0 && byte === 0x80) return null; // a non-minimal arc
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return null;
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs[0] as number;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** The text of an ASN.1 string type, or null for a type (or bytes) that is not one. */
export function decodeString(element: DerElement): string | null {
  const { tag, contents } = element;
  const bytes = Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength);
  switch (tag) {
    case 0x0c: // UTF8String
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        return null;
      }
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      return bytes.every((byte) => byte < 0x80) ? bytes.toString('latin1') : null;
    case 0x14: // TeletexString: Latin-1 in practice
      return bytes.toString('latin1');
    case 0x1e: // BMPString: UCS-2, big-endian
      if (bytes.length % 2 !== 0) return null;
      return Buffer.from(bytes).swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString: UCS-4, big-endian
      if (bytes.length % 4 !== 0) return null;
      let text = '';
      for (let i = 0; i < bytes.length; i += 4) {
        const point = bytes.readUInt32BE(i);
        if (point > 0x10ffff) return null;
        text += String.fromCodePoint(point);
      }
      return text;
    }
    default:
      return null;
  }
}

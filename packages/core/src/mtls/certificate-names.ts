/**
 * The names a client certificate carries, as RFC 8705 §2.1.2 matches them against a
 * `tls_client_auth` client's registration: its subject distinguished name (written as in
 * RFC 4514) or one of its subject alternative names (DNS name, URI, IP address, e-mail).
 *
 * Each name has a display form and a *match key*: the form two names are compared in.
 * Attribute values compare case-insensitively with insignificant spaces removed (the
 * `caseIgnoreMatch` of RFC 4517 that every usual DN attribute uses); DNS names and e-mail
 * addresses ignore case; IP addresses compare as addresses, whatever their spelling.
 */
import { isIP } from 'node:net';
import { children, DER_TAG, type DerElement, decodeOid, decodeString, readWhole } from './der.js';

export type SubjectAltNameType = 'dns' | 'uri' | 'ip' | 'email';

export interface SubjectAltName {
  readonly type: SubjectAltNameType;
  readonly value: string;
}

export interface CertificateNames {
  /** The subject DN in RFC 4514 form (most specific RDN first), printable ASCII only. */
  readonly subject: string;
  readonly subjectAltNames: readonly SubjectAltName[];
  /** The match keys of the subject and of every alternative name, subject first. */
  readonly matchKeys: readonly string[];
}

/** RFC 4514 §3's attribute type names, and a few more that certificates commonly carry. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};
const TYPE_OIDS: ReadonlyMap<string, string> = new Map(
  Object.entries(TYPE_NAMES).map(([oid, name]) => [name.toLowerCase(), oid]),
);
const SUBJECT_ALT_NAME_OID = '2.5.29.17';
/** GeneralName's context tags (RFC 5280 §4.2.1.6), IMPLICIT and primitive. */
const GENERAL_NAME_TAGS: Readonly<Record<number, SubjectAltNameType>> = {
  129: 'email',
  130: 'dns',
  134: 'uri',
  135: 'ip',
};

/** One attribute of an RDN: its type (short name or dotted OID) and value. */
interface Attribute {
  readonly type: string;
  /** The value as text, or, for a value that is no string, its DER encoding in hex. */
  readonly value: { readonly text: string } | { readonly hex: string };
}
type Rdn = readonly Attribute[];

/**
 * The subject DN and alternative names of a DER certificate, or null when it cannot be read.
 * The certificate's signature and dates are not checked here.
 *
 * @example certificateNames(der)?.subject // → 'CN=orders-service,O=Example'
 */
export function certificateNames(der: Uint8Array): CertificateNames | null {
  const certificate = readWhole(der);
  if (certificate?.tag !== DER_TAG.SEQUENCE) return null;
  const tbs = children(certificate)?.[0];
  if (tbs?.tag !== DER_TAG.SEQUENCE) return null;
  const fields = children(tbs);
  if (fields === null) return null;
  // version [0] is optional; then serial, signature, issuer, validity, subject.
  const at = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subjectName = fields[at + 4];
  if (subjectName?.tag !== DER_TAG.SEQUENCE) return null;
  const rdns = nameRdns(subjectName);
  if (rdns === null) return null;
  let subjectAltNames: SubjectAltName[] = [];
  const extensions = fields.find((field) => field.tag === 0xa3);
  if (extensions !== undefined) {
    const found = altNamesOf(extensions);
    if (found === null) return null;
    subjectAltNames = found;
  }
  return {
    subject: formatDn(rdns, false),
    subjectAltNames,
    matchKeys: [dnKey(rdns), ...subjectAltNames.map(subjectAltNameKey)],
  };
}

/**
 * Reads an RFC 4514 distinguished name as a person writes one (`CN=orders-service,O=Example`;
 * spaces around `,` and `+` are allowed, so are `\` escapes and `#` hex values) and gives
 * its canonical display form and match key. Null when it is not a DN, or is empty.
 *
 * @example parseDistinguishedName('cn=orders-service, o=Example') // → { dn: 'CN=orders-service,O=Example', matchKey: 'dn:CN=orders-service,O=example' }
 */
export function parseDistinguishedName(text: string): { dn: string; matchKey: string } | null {
  const rdns = parseRdns(text);
  return rdns === null || rdns.length === 0 ? null : { dn: formatDn(rdns, false), matchKey: dnKey(rdns) };
}

/**
 * Reads a subject alternative name written as `TYPE:VALUE`: `dns:orders.internal`,
 * `uri:spiffe://example.org/orders`, `ip:10.0.0.7`, `email:orders@example.com`. The value
 * is returned in canonical form; null when it is none of those.
 *
 * @example parseSubjectAltName('DNS:Orders.Internal') // → { type: 'dns', value: 'orders.internal' }
 */
export function parseSubjectAltName(text: string): SubjectAltName | null {
  const colon = text.indexOf(':');
  if (colon === -1) return null;
  const type = text.slice(0, colon).trim().toLowerCase();
  const value = text.slice(colon + 1).trim();
  if (value === '' || /[\s\p{Cc}]/u.test(value)) return null;
  switch (type) {
    case 'dns':
      return /^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(value)
        ? { type, value: value.toLowerCase() }
        : null;
    case 'uri':
      return URL.canParse(value) ? { type, value } : null;
    case 'email':
      return /^[^@]+@[^@]+$/.test(value) ? { type, value } : null;
    case 'ip': {
      const canonical = canonicalIp(value);
      return canonical === null ? null : { type, value: canonical };
    }
    default:
      return null;
  }
}

/** The match key of an alternative name. */
export function subjectAltNameKey(name: SubjectAltName): string {
  const value = name.type === 'dns' || name.type === 'email' ? name.value.toLowerCase() : name.value;
  return `${name.type}:${value}`;
}

function nameRdns(name: DerElement): Rdn[] | null {
  const sets = children(name);
  if (sets === null) return null;
  const rdns: Rdn[] = [];
  for (const set of sets) {
    if (set.tag !== DER_TAG.SET) return null;
    const pairs = children(set);
    if (pairs === null || pairs.length === 0) return null;
    const rdn: Attribute[] = [];
    for (const pair of pairs) {
      const parts = pair.tag === DER_TAG.SEQUENCE ? children(pair) : null;
      const [oid, value] = parts ?? [];
      if (parts?.length !== 2 || oid?.tag !== DER_TAG.OID || value === undefined) return null;
      const dotted = decodeOid(oid.contents);
      if (dotted === null) return null;
      const text = decodeString(value);
      rdn.push({
        type: TYPE_NAMES[dotted] ?? dotted,
        value: text === null ? { hex: Buffer.from(value.encoded).toString('hex') } : { text },
      });
    }
    rdns.push(rdn);
  }
  // RFC 4514 §2.1: the string starts with the last RDN of the sequence.
  return rdns.reverse();
}

function altNamesOf(extensionsField: DerElement): SubjectAltName[] | null {
  const [list] = children(extensionsField) ?? [];
  const extensions = list?.tag === DER_TAG.SEQUENCE ? children(list) : null;
  if (extensions === null) return null;
  for (const extension of extensions) {
    const parts = extension.tag === DER_TAG.SEQUENCE ? children(extension) : null;
    const oid = parts?.[0];
    if (parts === null || oid?.tag !== DER_TAG.OID || decodeOid(oid.contents) !== SUBJECT_ALT_NAME_OID)
      continue;
    const octets = parts[parts.length - 1];
    const generalNames = octets?.tag === DER_TAG.OCTET_STRING ? readWhole(octets.contents) : null;
    const names = generalNames?.tag === DER_TAG.SEQUENCE ? children(generalNames) : null;
    if (names === null || names === undefined) return null;
    const found: SubjectAltName[] = [];
    for (const name of names) {
      const type = GENERAL_NAME_TAGS[name.tag];
      if (type === undefined) continue; // other names, directory names…: not matched
      const bytes = Buffer.from(name.contents);
      if (type === 'ip') {
        const ip = ipFromBytes(bytes);
        if (ip !== null) found.push({ type, value: ip });
      } else if (bytes.every((byte) => byte > 0x20 && byte < 0x7f)) {
        const value = bytes.toString('latin1');
        found.push({ type, value: type === 'dns' ? value.toLowerCase() : value });
      }
    }
    return found;
  }
  return [];
}

function ipFromBytes(bytes: Buffer): string | null {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return null;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return canonicalIp(groups.join(':'));
}

function canonicalIp(text: string): string | null {
  const version = isIP(text);
  if (version === 4) return text;
  if (version !== 6 || text.includes('%')) return null;
  // The URL parser writes IPv6 addresses in RFC 5952's canonical form.
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

// ---- RFC 4514 strings ----

function formatDn(rdns: readonly Rdn[], forMatching: boolean): string {
  return rdns
    .map((rdn) => {
      const attributes = rdn.map((attribute) => formatAttribute(attribute, forMatching));
      // An RDN is a set: in the key its members are in one order.
      return (forMatching ? attributes.sort() : attributes).join('+');
    })
    .join(',');
}

function formatAttribute(attribute: Attribute, forMatching: boolean): string {
  const { value } = attribute;
  if ('hex' in value) return `${attribute.type}=#${value.hex}`;
  const text = forMatching ? value.text.toLowerCase().replace(/\s+/g, ' ').trim() : value.text;
  return `${attribute.type}=${escapeValue(text)}`;
}

/**
 * RFC 4514 §2.4 escaping, and more: every character outside printable ASCII is written as
 * `\XX` UTF-8 hex pairs, so that a DN can travel in an HTTP header as is.
 */
function escapeValue(text: string): string {
  let out = '';
  const chars = [...text];
  chars.forEach((char, index) => {
    const code = char.codePointAt(0) as number;
    if (code < 0x20 || code > 0x7e) {
      for (const byte of Buffer.from(char, 'utf8'))
        out += `\\${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else if (
      '"+,;<>\\'.includes(char) ||
      (index === 0 && (char === ' ' || char === '#')) ||
      (index === chars.length - 1 && char === ' ')
    ) {
      out += `\\${char}`;
    } else {
      out += char;
    }
  });
  return out;
}

function dnKey(rdns: readonly Rdn[]): string {
  return `dn:${formatDn(rdns, true)}`;
}

/** Parses an RFC 4514 string into RDNs, most specific first; null when malformed. */
function parseRdns(text: string): Rdn[] | null {
  if (text.trim() === '') return [];
  const rdns: Rdn[] = [];
  let rdn: Attribute[] = [];
  let i = 0;
  const skipSpaces = () => {
    while (text[i] === ' ') i++;
  };
  for (;;) {
    skipSpaces();
    const equals = text.indexOf('=', i);
    if (equals === -1) return null;
    const type = attributeType(text.slice(i, equals).trim());
    if (type === null) return null;
    i = equals + 1;
    skipSpaces();
    let value: Attribute['value'];
    let end: number;
    if (text[i] === '#') {
      const hex = /^#((?:[0-9A-Fa-f]{2})+)/.exec(text.slice(i));
      if (hex === null) return null;
      end = i + (hex[0] as string).length;
      const element = readWhole(Buffer.from(hex[1] as string, 'hex'));
      const decoded = element === null ? null : decodeString(element);
      value = decoded === null ? { hex: (hex[1] as string).toLowerCase() } : { text: decoded };
    } else {
      const read = readValue(text, i);
      if (read === null) return null;
      end = read.end;
      value = { text: read.text };
    }
    if ('text' in value && value.text === '') return null;
    rdn.push({ type, value });
    i = end;
    skipSpaces();
    if (i >= text.length) {
      rdns.push(rdn);
      return rdns;
    }
    if (text[i] === ',') {
      rdns.push(rdn);
      rdn = [];
    } else if (text[i] !== '+') {
      return null;
    }
    i++;
  }
}

function attributeType(text: string): string | null {
  if (/^\d+(\.\d+)+$/.test(text)) return TYPE_NAMES[text] ?? text;
  const oid = TYPE_OIDS.get(text.toLowerCase());
  return oid === undefined ? null : (TYPE_NAMES[oid] as string);
}

/** Reads an unquoted value up to an unescaped `,` or `+`; spaces at either end are dropped. */
function readValue(text: string, start: number): { text: string; end: number } | null {
  const bytes: number[] = [];
  let i = start;
  while (i < text.length) {
    const char = text[i] as string;
    if (char === ',' || char === '+') break;
    if (char === '\\') {
      const next = text.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(next)) {
        bytes.push(Number.parseInt(next, 16));
        i += 3;
      } else if (next !== '' && ' "#+,;<=>\\'.includes(next[0] as string)) {
        bytes.push(next.charCodeAt(0));
        i += 2;
      } else {
        return null;
      }
      continue;
    }
    if ('";<>\0'.includes(char)) return null;
    const point = text.codePointAt(i) as number;
    const encoded = Buffer.from(String.fromCodePoint(point), 'utf8');
    bytes.push(...encoded);
    i += point > 0xffff ? 2 : 1;
  }
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
  return { text: decoded.trim(), end: i };
}

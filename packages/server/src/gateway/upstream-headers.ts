/**
 * The headers the gateway sends upstream and back: hop-by-hop headers dropped, the caller's
 * credential and any identity headers it sent removed, the verified identity and the
 * `x-forwarded-*` headers added.
 */

/** What of a verified identity travels upstream (a structural subset of `@tessera/verify`'s `Identity`). */
export interface ForwardedIdentity {
  readonly subject: string;
  readonly clientId: string | undefined;
  readonly scopes: readonly string[];
  readonly scheme: string;
}

/** RFC 9110 §7.6.1 hop-by-hop headers, plus the non-standard ones proxies still meet. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** What the gateway sets itself; a caller's copies are never forwarded. */
export const IDENTITY_HEADERS = [
  'x-auth-subject',
  'x-auth-client-id',
  'x-auth-scopes',
  'x-auth-scheme',
] as const;

const NOT_FORWARDED: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  ...IDENTITY_HEADERS,
  // The caller's credential stays at the gateway.
  'authorization',
  'x-api-key',
  // RFC 9440: the client certificate as a TLS-terminating proxy forwards it; never the caller's to send on.
  'client-cert',
  'client-cert-chain',
  // A DPoP proof is for this hop only (RFC 9449 §4.3: it names the gateway's URL).
  'dpop',
  // The upstream's own host is set by the HTTP client; the caller's goes in x-forwarded-host.
  'host',
  // Node has already answered 100-continue; the upstream request has its body at hand.
  'expect',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

const NOT_RETURNED: ReadonlySet<string> = new Set(HOP_BY_HOP);

// Visible ASCII and space: what an identity value may hold to be sent as a header as is.
const HEADER_SAFE = /^[\x20-\x7e]*$/;

export interface ForwardedFor {
  /** The caller's address, appended to any `x-forwarded-for` it sent. */
  readonly remoteAddress: string | undefined;
  readonly proto: 'http' | 'https';
}

/**
 * The request headers for the upstream, as a flat `[name, value, …]` list built from Node's
 * `rawHeaders`, so every copy of a header is seen and removed whatever its case. Returns
 * `undefined` when the identity holds a value that cannot travel in a header.
 *
 * @example
 * ```ts
 * upstreamRequestHeaders(req.rawHeaders, identity, { remoteAddress: '127.0.0.1', proto: 'http' });
 * // → ['accept', '*\/*', 'x-auth-subject', 'svc_1', …, 'x-forwarded-for', '127.0.0.1', …]
 * ```
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  identity: ForwardedIdentity | undefined,
  forwarded: ForwardedFor,
): string[] | undefined {
  let headers: string[] = [];
  let listed: Set<string> | undefined;
  const forwardedFor: string[] = [];
  let host: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (NOT_FORWARDED.has(name)) {
      if (name === 'x-forwarded-for') forwardedFor.push(value);
      else if (name === 'host') host ??= value;
      else if (name === 'connection') listed = connectionListed(value, NOT_FORWARDED, listed);
      continue;
    }
    headers.push(rawHeaders[i] as string, value);
  }
  if (listed !== undefined) headers = without(headers, listed);

  if (identity !== undefined) {
    const values = [identity.subject, identity.clientId ?? '', identity.scopes.join(' ')];
    if (!values.every((value) => typeof value === 'string' && HEADER_SAFE.test(value))) return undefined;
    headers.push('x-auth-subject', identity.subject);
    if (identity.clientId !== undefined) headers.push('x-auth-client-id', identity.clientId);
    headers.push('x-auth-scopes', identity.scopes.join(' '), 'x-auth-scheme', identity.scheme);
  }

  if (forwarded.remoteAddress !== undefined) forwardedFor.push(forwarded.remoteAddress);
  if (forwardedFor.length > 0) headers.push('x-forwarded-for', forwardedFor.join(', '));
  headers.push('x-forwarded-proto', forwarded.proto);
  if (host !== undefined) headers.push('x-forwarded-host', host);
  return headers;
}

/**
 * The upstream's response headers for the caller, without hop-by-hop ones, from a flat
 * `[name, value, …]` list (undici's raw headers), kept in their order and case.
 *
 * @example downstreamResponseHeaders(['Content-Type', 'text/plain', 'Connection', 'keep-alive']); // → ['Content-Type', 'text/plain']
 */
export function downstreamResponseHeaders(rawHeaders: readonly string[]): string[] {
  const headers: string[] = [];
  let listed: Set<string> | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (NOT_RETURNED.has(name)) {
      if (name === 'connection') listed = connectionListed(rawHeaders[i + 1] as string, NOT_RETURNED, listed);
      continue;
    }
    headers.push(rawHeaders[i] as string, rawHeaders[i + 1] as string);
  }
  return listed === undefined ? headers : without(headers, listed);
}

/**
 * Adds the header names a `Connection` value lists (RFC 9110 §7.6.1) to `listed`, leaving
 * out those dropped anyway (`keep-alive`, usually the only one), so the common case
 * allocates nothing.
 */
function connectionListed(
  value: string,
  droppedAnyway: ReadonlySet<string>,
  listed: Set<string> | undefined,
): Set<string> | undefined {
  // What nearly every client sends: nothing to split.
  if (value === 'keep-alive' || value === 'close' || value === 'Keep-Alive') return listed;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || droppedAnyway.has(name)) continue;
    listed ??= new Set();
    listed.add(name);
  }
  return listed;
}

/** A flat header list without the names in `names` (lower case). */
function without(headers: readonly string[], names: ReadonlySet<string>): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (!names.has((headers[i] as string).toLowerCase()))
      kept.push(headers[i] as string, headers[i + 1] as string);
  }
  return kept;
}

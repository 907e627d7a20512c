/**
 * The address a request comes from, for per-address limits such as sign-in throttling:
 * behind a TLS-terminating proxy, the connection's peer is the proxy, and the client is
 * named in the `X-Forwarded-For` header the proxies append to.
 */
import { isIP } from 'node:net';

/**
 * The client's address: the connection's peer, unless it is one of `trustedProxies`; then
 * the right-most `X-Forwarded-For` entry that is not a trusted proxy itself (the entries
 * left of it were written by the client or proxies nobody vouches for). From any other
 * peer the header is ignored. Addresses are compared canonically (`::ffff:10.0.0.5` is
 * `10.0.0.5`, IPv6 in its shortest lower-case form).
 *
 * @example
 * ```ts
 * const trusted = trustedAddresses(['10.0.0.5']);
 * clientAddress('10.0.0.5', '198.51.100.1, 203.0.113.7', trusted); // '203.0.113.7'
 * ```
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | undefined,
  trustedProxies: ReadonlySet<string>,
): string {
  let address = canonicalAddress(peer);
  const hops = forwardedFor === undefined ? [] : forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0 && trustedProxies.has(address); i--) {
    const hop = hopAddress(hops[i] as string);
    // An entry that is no address: nothing left of it can be placed, stay with the proxy.
    if (hop === undefined) break;
    address = hop;
  }
  return address;
}

/** The set `clientAddress` takes, from configured proxy addresses. */
export function trustedAddresses(addresses: readonly string[]): ReadonlySet<string> {
  return new Set(addresses.map(canonicalAddress));
}

/** An `X-Forwarded-For` entry's address, a port some proxies add removed; undefined when it is none. */
function hopAddress(entry: string): string | undefined {
  let text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1] as string;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  return isIP(text) === 0 ? undefined : canonicalAddress(text);
}

function canonicalAddress(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (isIP(plain) !== 6) return plain;
  try {
    return new URL(`http://[${plain}]`).hostname.slice(1, -1);
  } catch {
    // A zone index (`fe80::1%eth0`), which URLs do not take.
    return plain.toLowerCase();
  }
}

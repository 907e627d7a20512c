/**
 * The `htu` form of a URL (RFC 9449 §4.3): scheme, host, port and path, without query or
 * fragment, normalised as RFC 3986 §6.2.2 and §6.2.3 ask (case of scheme and host, default
 * port dropped, percent-encoding of unreserved characters undone, an empty path as `/`).
 * Null when it is not an absolute http(s) URL.
 *
 * @example normalizeHtu('HTTPS://Server.Example:443/a%7Eb?x=1') // → 'https://server.example/a~b'
 */
export function normalizeHtu(url: string): string | null {
  if (typeof url !== 'string' || !URL.canParse(url)) return null;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  if (parsed.username !== '' || parsed.password !== '') return null;
  const path = parsed.pathname.replace(/%[0-9A-Fa-f]{2}/g, (encoded) => {
    const char = String.fromCharCode(Number.parseInt(encoded.slice(1), 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : encoded.toUpperCase();
  });
  return `${parsed.protocol}//${parsed.host}${path}`;
}

import type { CookieChange } from '../endpoints/browser-flow.js';

/**
 * The cookies of a `Cookie` header, by name; a name sent twice keeps its first value
 * (browsers send the most specific cookie first).
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** The names of Tessera's cookies: `__Host-` prefixed over HTTPS, so no subdomain can plant them. */
export function cookieNames(secure: boolean): { session: string; csrf: string } {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}tessera_session`, csrf: `${prefix}tessera_csrf` };
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, and Secure over HTTPS. */
export function setCookie(name: string, change: CookieChange, secure: boolean): string {
  const value = change === null ? '' : change.value;
  const maxAge = change === null ? 0 : change.maxAge;
  return `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

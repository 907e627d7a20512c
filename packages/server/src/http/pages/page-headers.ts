import { STYLESHEET_HASH } from './style.js';

/**
 * An origin that CSP's host-source grammar can express. URL parsing lets through hosts such
 * as `a;b.example`, `a,b.example` or `a'b.example`, which would end the directive, start
 * another policy or read as a keyword.
 */
const CSP_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::[0-9]+)?$/;

/**
 * Response headers for a sign-in page: never cached, never framed, no referrer, and a CSP
 * that allows only the pages' own stylesheet and form posts to this server.
 *
 * `formActions` are URLs a form on the page ends up at: Chromium checks `form-action`
 * against every redirect that follows a form post, so a page whose form redirects to a
 * client must name the client's redirect URI here. Only the origin of each is used.
 * A custom-scheme redirect URI (`com.example.app:/cb`) has the origin "null", which
 * `form-action` cannot name: it is left out, the browser may block that redirect, and the
 * caller is expected to render a link to it instead.
 */
export function pageHeaders({
  formActions = [],
}: {
  formActions?: readonly string[];
} = {}): Record<string, string> {
  const sources = new Set(["'self'"]);
  for (const url of formActions) {
    const origin = originOf(url);
    if (origin !== undefined) sources.add(origin);
  }
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': [
      "default-src 'none'",
      `style-src ${STYLESHEET_HASH}`,
      "img-src 'self' data:",
      `form-action ${[...sources].join(' ')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  };
}

function originOf(url: string): string | undefined {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return undefined;
  }
  return CSP_ORIGIN.test(origin) ? origin : undefined;
}

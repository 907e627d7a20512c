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
 * client must name the client's redirect URI here. Only the origin of each is used; a
 * native app's private-use scheme (`com.example.app:/cb`, RFC 8252 §7.1) has no origin, so
 * its scheme is named instead (`com.example.app:`). Schemes that can run or read content
 * where they land (`javascript:`, `data:`, `file:`…) are never named.
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

/** A private-use scheme as CSP's scheme-source names it: reverse-DNS, at least one dot. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(?:\.[a-z0-9+-]+)+:$/;

function originOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (CSP_ORIGIN.test(parsed.origin)) return parsed.origin;
  return PRIVATE_USE_SCHEME.test(parsed.protocol) ? parsed.protocol : undefined;
}

/** Whether `hostname` is a loopback address, where plain HTTP cannot be intercepted. */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/**
 * Refuses a URL the verifier would fetch credentials or keys from unless it is https, or
 * plain http on loopback, or the caller set the loudly named escape hatch.
 */
export function assertSecureUrl(url: string, what: string, allowInsecureHttp: boolean): URL {
  if (!URL.canParse(url)) throw new TypeError(`${what} must be an absolute URL`);
  const parsed = new URL(url);
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && (isLoopbackHost(parsed.hostname) || allowInsecureHttp)) return parsed;
  throw new TypeError(`${what} must be https (plain http only on loopback, or with allowInsecureHttpIssuer)`);
}

import { randomBytes } from 'node:crypto';

/** A random public identifier with a readable prefix, e.g. `cli_4f…` for a client. */
export function newIdentifier(prefix: 'cli' | 'api' | 'jti'): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

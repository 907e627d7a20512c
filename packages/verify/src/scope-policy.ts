import { ErrorCode, InsufficientScope } from '@tessera/core';
import type { ScopePolicy } from './verification.js';

/**
 * Checks granted scopes against a route's policy; returns the RFC 6750 §3.1 error, whose
 * challenge names the scopes needed, or null when the policy holds.
 *
 * @example checkScopes(['charges:read'], { allOf: ['charges:write'] }) // InsufficientScope
 */
export function checkScopes(
  granted: readonly string[],
  policy: ScopePolicy | undefined,
): InsufficientScope | null {
  const allOf = policy?.allOf ?? [];
  const anyOf = policy?.anyOf ?? [];
  const missing = allOf.filter((scope) => !granted.includes(scope));
  const anyHeld = anyOf.length === 0 || anyOf.some((scope) => granted.includes(scope));
  if (missing.length === 0 && anyHeld) return null;
  const needed = missing.length > 0 ? missing : anyOf;
  return new InsufficientScope(
    ErrorCode.SCOPE_INSUFFICIENT,
    'The access token does not grant the scope this needs.',
    {
      challenge: { scope: needed.join(' ') },
    },
  );
}

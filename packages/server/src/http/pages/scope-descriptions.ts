const DESCRIPTIONS: ReadonlyMap<string, string> = new Map([
  ['openid', 'Confirm who you are (your account identifier)'],
  ['profile', 'See your name and username'],
  ['email', 'See your email address'],
  ['offline_access', 'Keep access when you are not using it (until you revoke it)'],
]);

/**
 * What granting `scope` lets a client do, in words for the person asked. The result is
 * plain text; escaping is the template's job.
 */
export function describeScope(scope: string): string {
  return DESCRIPTIONS.get(scope) ?? `Use "${scope}"`;
}

/** Whether `scope` has a description of its own, rather than one that quotes its name. */
export function hasOwnDescription(scope: string): boolean {
  return DESCRIPTIONS.has(scope);
}

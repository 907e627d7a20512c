/** What the claims of a user are read from. */
export interface ClaimSource {
  readonly id: string;
  readonly username: string;
  readonly name: string | null;
  readonly email: string | null;
}

/** The standard claims listed in discovery. */
export const SUPPORTED_CLAIMS = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'at_hash',
  'sid',
  'name',
  'preferred_username',
  'email',
  'email_verified',
];

/**
 * The claims the granted scopes release (OpenID Connect Core §5.4): `profile` gives the name
 * and username, `email` the address. Tessera does not verify addresses, and says so.
 */
export function userClaims(user: ClaimSource, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile')) {
    claims.preferred_username = user.username;
    if (user.name !== null) claims.name = user.name;
  }
  if (scopes.includes('email') && user.email !== null) {
    claims.email = user.email;
    claims.email_verified = false;
  }
  return claims;
}

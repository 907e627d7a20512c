import { createHash } from 'node:crypto';
import { importJWK, jwtVerify } from 'jose';
import type { SigningKey } from './jws-signer.js';
import { signCompactJws } from './jws-signer.js';
import { CLOCK_TOLERANCE_SECONDS, type SigningKeyService } from './signing-keys.js';

/** ID tokens live this long: they prove a sign-in to the client, once. */
export const ID_TOKEN_TTL_SECONDS = 3600;
/** OpenID Connect's default (and mandatory-to-implement) ID token algorithm. */
export const ID_TOKEN_ALG = 'RS256';

export interface IdTokenInput {
  readonly subject: string;
  readonly clientId: string;
  readonly authTime: number;
  readonly nonce: string | undefined;
  readonly sessionId: string | undefined;
  /** The access token issued beside it, for `at_hash`. */
  readonly accessToken: string;
  /** Claims the granted scopes release (profile, email). */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Signs OpenID Connect ID tokens (Core §2) with the issuer's RS256 key. */
export class IdTokenService {
  constructor(
    private readonly issuer: string,
    private readonly signingKeys: SigningKeyService,
    private readonly now: () => number,
  ) {}

  sign(input: IdTokenInput): string {
    const key = this.signingKeys.signingKey(ID_TOKEN_ALG);
    if (key === undefined) throw new Error(`no ${ID_TOKEN_ALG} signing key in service`);
    const now = this.now();
    return signCompactJws(
      { typ: 'JWT' },
      {
        ...input.claims,
        iss: this.issuer,
        sub: input.subject,
        aud: input.clientId,
        azp: input.clientId,
        exp: now + lifetime(key, now),
        iat: now,
        auth_time: input.authTime,
        ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
        ...(input.sessionId === undefined ? {} : { sid: input.sessionId }),
        at_hash: accessTokenHash(input.accessToken),
      },
      key,
    );
  }

  /**
   * The client and user of an ID token this server signed, expired or not: what the
   * end-session endpoint's `id_token_hint` tells (RP-Initiated Logout §2). Null if forged.
   */
  async readHint(idToken: string): Promise<{ clientId: string; subject: string } | null> {
    try {
      const { payload } = await jwtVerify(
        idToken,
        async (header) => {
          const published =
            header.kid === undefined ? undefined : this.signingKeys.verificationKey(header.kid);
          if (published === undefined || published.alg !== header.alg) throw new Error('unknown key');
          return importJWK(published.publicJwk, published.alg);
        },
        // typ JWT: an ID token, never one of our access tokens (at+jwt).
        { issuer: this.issuer, algorithms: [ID_TOKEN_ALG], typ: 'JWT', currentDate: new Date(0) },
      );
      const { aud, sub } = payload;
      if (typeof aud !== 'string' || typeof sub !== 'string') return null;
      return { clientId: aud, subject: sub };
    } catch {
      return null;
    }
  }
}

/** OpenID Connect Core §3.1.3.6: the left half of the SHA-256 of the access token (for RS256). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

/** A key being replaced leaves the JWKS at `retiresAt`: no token it signs may outlive it. */
function lifetime(key: SigningKey, now: number): number {
  if (key.retiresAt == null) return ID_TOKEN_TTL_SECONDS;
  return Math.max(1, Math.min(ID_TOKEN_TTL_SECONDS, key.retiresAt - CLOCK_TOLERANCE_SECONDS - now));
}

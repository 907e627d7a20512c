import { createHash } from 'node:crypto';
import { ErrorCode, InvalidDpopProof, InvalidGrant } from '@tessera/core';
import type { ClientRecord } from '../../store/client-store.js';
import { confirmationOf } from '../access-tokens.js';
import type { GrantService } from '../grants.js';
import type { UserTokenIssuer, UserTokens } from './user-tokens.js';

export interface AuthorizationCodeRequest {
  readonly code: string;
  readonly redirectUri: string | undefined;
  readonly codeVerifier: string | undefined;
  /** The thumbprint of the DPoP proof's key, when the request carried one. */
  readonly dpopJkt: string | undefined;
  /** The `x5t#S256` of the certificate the client authenticated with (RFC 8705 §3). */
  readonly certificateThumbprint?: string | undefined;
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

const invalidCode = (detail: string) =>
  new InvalidGrant(ErrorCode.GRANT_INVALID, 'The authorization code is invalid, expired or already used.', {
    detail,
  });

/**
 * The authorization code grant (RFC 6749 §4.1.3): a code is good once, for the client it
 * was issued to, with the redirect URI it was issued for and the PKCE verifier whose hash
 * the authorization request carried. A code used twice revokes every token issued from it
 * (RFC 6749 §4.1.2).
 */
export class AuthorizationCodeGrant {
  constructor(
    private readonly grants: GrantService,
    private readonly issuer: UserTokenIssuer,
    private readonly now: () => number,
  ) {}

  async handle(client: ClientRecord, request: AuthorizationCodeRequest): Promise<UserTokens> {
    const grant = await this.grants.findByCode(request.code);
    if (grant === null) throw invalidCode('unknown authorization code');
    if (grant.clientId !== client.id)
      throw invalidCode(`code of ${grant.clientId} presented by ${client.id}`);
    if (grant.codeUsedAt !== null) return this.reused(grant.id);
    if (grant.revokedAt !== null) throw invalidCode('the grant was revoked');
    if (grant.codeExpiresAt <= this.now()) throw invalidCode('authorization code expired');
    if (grant.redirectUri !== null && request.redirectUri !== grant.redirectUri) {
      throw new InvalidGrant(
        ErrorCode.REDIRECT_URI_MISMATCH,
        'redirect_uri must be the one sent in the authorization request.',
      );
    }
    const verifier = request.codeVerifier;
    if (verifier === undefined || !CODE_VERIFIER.test(verifier)) {
      throw new InvalidGrant(ErrorCode.PKCE_FAILED, 'A code_verifier of 43 to 128 characters is required.');
    }
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) {
      throw new InvalidGrant(ErrorCode.PKCE_FAILED, 'The code_verifier does not match the code_challenge.');
    }
    // RFC 9449 §10: a code requested for a DPoP key is redeemed with that key only.
    if (grant.dpopJkt !== null && request.dpopJkt !== grant.dpopJkt) {
      throw new InvalidDpopProof(
        ErrorCode.DPOP_KEY_MISMATCH,
        'The code must be redeemed with a DPoP proof of the key named in dpop_jkt.',
      );
    }
    // Two exchanges racing: only one wins the code; the loser is treated as a replay.
    if (!(await this.grants.consumeCode(grant))) return this.reused(grant.id);
    const refreshToken = this.issuer.refreshable(client, grant) ? this.issuer.newRefreshToken() : undefined;
    if (refreshToken !== undefined) {
      await this.grants.storeRefreshToken(grant, refreshToken);
      // RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key.
      if (client.authMethod === 'none' && request.dpopJkt !== undefined && grant.dpopJkt === null)
        await this.grants.bindToDpopKey(grant, request.dpopJkt);
    }
    return this.issuer.issue(
      client,
      grant,
      grant.scopes,
      refreshToken,
      grant.nonce ?? undefined,
      confirmationOf(request.dpopJkt, request.certificateThumbprint),
    );
  }

  private async reused(grantId: string): Promise<never> {
    await this.grants.revoke(grantId);
    throw new InvalidGrant(
      ErrorCode.GRANT_REUSED,
      'The authorization code was already used; every token issued from it is revoked.',
    );
  }
}

/**
 * Tessera's error model: one table of stable codes, and one class per RFC error.
 *
 * An error carries two texts. `description` is public: it may be sent to the caller and
 * never contains a credential or a hint that helps an attacker (it never says whether a
 * client exists). `detail` is internal: for logs and the operator, and still never holds
 * a credential.
 */

/** Stable codes, one per distinct failure. Never renumber or reuse one. */
export const ErrorCode = {
  REQUEST_MALFORMED: 'ERR_REQUEST_MALFORMED',
  PARAM_MISSING: 'ERR_PARAM_MISSING',
  PARAM_REPEATED: 'ERR_PARAM_REPEATED',
  PARAM_INVALID: 'ERR_PARAM_INVALID',
  CONTENT_TYPE: 'ERR_CONTENT_TYPE',
  BODY_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
  METHOD_NOT_ALLOWED: 'ERR_METHOD_NOT_ALLOWED',
  NOT_FOUND: 'ERR_NOT_FOUND',
  CREDENTIAL_IN_URL: 'ERR_CREDENTIAL_IN_URL',
  CREDENTIALS_MISSING: 'ERR_CREDENTIALS_MISSING',
  CREDENTIALS_AMBIGUOUS: 'ERR_CREDENTIALS_AMBIGUOUS',
  GRANT_UNSUPPORTED: 'ERR_GRANT_UNSUPPORTED',
  GRANT_NOT_ALLOWED: 'ERR_GRANT_NOT_ALLOWED',
  CLIENT_AUTH_MISSING: 'ERR_CLIENT_AUTH_MISSING',
  CLIENT_AUTH_MULTIPLE: 'ERR_CLIENT_AUTH_MULTIPLE',
  CLIENT_AUTH_METHOD: 'ERR_CLIENT_AUTH_METHOD',
  CLIENT_UNKNOWN: 'ERR_CLIENT_UNKNOWN',
  CLIENT_SECRET_MISMATCH: 'ERR_CLIENT_SECRET_MISMATCH',
  CLIENT_ASSERTION_INVALID: 'ERR_CLIENT_ASSERTION_INVALID',
  CLIENT_ASSERTION_REPLAYED: 'ERR_CLIENT_ASSERTION_REPLAYED',
  CLIENT_CERTIFICATE_MISSING: 'ERR_CLIENT_CERTIFICATE_MISSING',
  CLIENT_CERTIFICATE_UNTRUSTED: 'ERR_CLIENT_CERTIFICATE_UNTRUSTED',
  CLIENT_CERTIFICATE_MISMATCH: 'ERR_CLIENT_CERTIFICATE_MISMATCH',
  SCOPE_NOT_ALLOWED: 'ERR_SCOPE_NOT_ALLOWED',
  TARGET_NOT_ALLOWED: 'ERR_TARGET_NOT_ALLOWED',
  TOKEN_TYPE_UNSUPPORTED: 'ERR_TOKEN_TYPE_UNSUPPORTED',
  TOKEN_INVALID: 'ERR_TOKEN_INVALID',
  TOKEN_EXPIRED: 'ERR_TOKEN_EXPIRED',
  TOKEN_REVOKED: 'ERR_TOKEN_REVOKED',
  TOKEN_CERTIFICATE_MISMATCH: 'ERR_TOKEN_CERTIFICATE_MISMATCH',
  SCOPE_INSUFFICIENT: 'ERR_SCOPE_INSUFFICIENT',
  ACCESS_DENIED: 'ERR_ACCESS_DENIED',
  RATE_LIMITED: 'ERR_RATE_LIMITED',
  GRANT_INVALID: 'ERR_GRANT_INVALID',
  GRANT_REUSED: 'ERR_GRANT_REUSED',
  PKCE_FAILED: 'ERR_PKCE_FAILED',
  REDIRECT_URI_MISMATCH: 'ERR_REDIRECT_URI_MISMATCH',
  DPOP_PROOF_INVALID: 'ERR_DPOP_PROOF_INVALID',
  DPOP_PROOF_REPLAYED: 'ERR_DPOP_PROOF_REPLAYED',
  DPOP_NONCE_REQUIRED: 'ERR_DPOP_NONCE_REQUIRED',
  DPOP_REQUIRED: 'ERR_DPOP_REQUIRED',
  DPOP_KEY_MISMATCH: 'ERR_DPOP_KEY_MISMATCH',
  INTERNAL: 'ERR_INTERNAL',
  UNAVAILABLE: 'ERR_UNAVAILABLE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface TesseraErrorOptions {
  /** Internal explanation for logs; defaults to the public description. */
  detail?: string;
  /** Extra `WWW-Authenticate` parameters, e.g. the `scope` needed. */
  challenge?: Record<string, string>;
  cause?: unknown;
}

/** Base class: an RFC error code, an HTTP status, a stable Tessera code and two texts. */
export abstract class TesseraError extends Error {
  /** The RFC 6749 / 6750 / 7009 / 8707 `error` value. */
  abstract readonly error: string;
  abstract readonly status: number;
  readonly code: ErrorCode;
  readonly description: string;
  readonly detail: string;
  readonly challenge: Record<string, string> | undefined;

  constructor(code: ErrorCode, description: string, options: TesseraErrorOptions = {}) {
    super(options.detail ?? description, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.description = description;
    this.detail = options.detail ?? description;
    this.challenge = options.challenge;
  }

  /** The JSON body of RFC 6749 §5.2. */
  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export class InvalidRequest extends TesseraError {
  readonly error = 'invalid_request';
  readonly status = 400;
}
/** 401 at the token endpoint; the response carries a `WWW-Authenticate` challenge. */
export class InvalidClient extends TesseraError {
  readonly error = 'invalid_client';
  readonly status = 401;
}
export class InvalidGrant extends TesseraError {
  readonly error = 'invalid_grant';
  readonly status = 400;
}
export class UnauthorizedClient extends TesseraError {
  readonly error = 'unauthorized_client';
  readonly status = 400;
}
export class UnsupportedGrantType extends TesseraError {
  readonly error = 'unsupported_grant_type';
  readonly status = 400;
}
export class InvalidScope extends TesseraError {
  readonly error = 'invalid_scope';
  readonly status = 400;
}
/** RFC 8707 §2: the requested resource (audience) is not allowed. */
export class InvalidTarget extends TesseraError {
  readonly error = 'invalid_target';
  readonly status = 400;
}
/** RFC 7009 §2.2.1. */
export class UnsupportedTokenType extends TesseraError {
  readonly error = 'unsupported_token_type';
  readonly status = 400;
}
/** RFC 6750 §3.1, at a resource server. */
export class InvalidToken extends TesseraError {
  readonly error = 'invalid_token';
  readonly status = 401;
}
/** RFC 6750 §3.1; `challenge.scope` names the scope needed. */
export class InsufficientScope extends TesseraError {
  readonly error = 'insufficient_scope';
  readonly status = 403;
}
/**
 * RFC 9449 §5, §7.1: the DPoP proof is missing, malformed or wrong. 400 at the token
 * endpoint; a resource server answers it with 401 and a `DPoP` challenge.
 */
export class InvalidDpopProof extends TesseraError {
  readonly error = 'invalid_dpop_proof';
  readonly status = 400;
}
/** RFC 9449 §8, §9: send the proof again with the nonce in the `DPoP-Nonce` header. */
export class UseDpopNonce extends TesseraError {
  readonly error = 'use_dpop_nonce';
  readonly status = 400;
  constructor(
    code: ErrorCode,
    description: string,
    /** The nonce to use, for the `DPoP-Nonce` response header. */
    readonly nonce: string,
    options: TesseraErrorOptions = {},
  ) {
    super(code, description, options);
  }
}
export class AccessDenied extends TesseraError {
  readonly error = 'access_denied';
  readonly status = 403;
}
/** RFC 6585 §4: the credential used up its request rate; `retryAfterSeconds` says when to try again. */
export class TooManyRequests extends TesseraError {
  readonly error = 'too_many_requests';
  readonly status = 429;
  constructor(
    code: ErrorCode,
    description: string,
    readonly retryAfterSeconds: number,
    options: TesseraErrorOptions = {},
  ) {
    super(code, description, options);
  }
}
export class NotFound extends TesseraError {
  readonly error = 'not_found';
  readonly status = 404;
}
export class MethodNotAllowed extends TesseraError {
  readonly error = 'invalid_request';
  readonly status = 405;
}
export class PayloadTooLarge extends TesseraError {
  readonly error = 'invalid_request';
  readonly status = 413;
}
/** An infrastructure fault. Its public description never says what failed. */
export class ServerError extends TesseraError {
  readonly error = 'server_error';
  readonly status = 500;
}
export class TemporarilyUnavailable extends TesseraError {
  readonly error = 'temporarily_unavailable';
  readonly status = 503;
}

/** The outcome of checking a credential: rejection is a value, not an exception. */
export type Result<T, E extends TesseraError = TesseraError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
export const fail = <E extends TesseraError>(error: E): { readonly ok: false; readonly error: E } => ({
  ok: false,
  error,
});

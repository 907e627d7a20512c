/**
 * Why a Signature Version 4 request was refused: one machine-readable reason, the nearest
 * stable `ErrorCode`, the HTTP status and `error` value a resource server answers with, and
 * a public description that names what failed without echoing the request.
 */
import { ErrorCode, fail, TesseraError, type TesseraErrorOptions } from '../errors.js';

export type SigV4RejectionReason =
  /** No `Authorization` header. */
  | 'authorization_missing'
  /** An `Authorization` header that is not a well-formed `AWS4-HMAC-SHA256` one. */
  | 'authorization_malformed'
  /** `Authorization`, `Host`, `X-Amz-Date` or `X-Amz-Content-Sha256` sent twice. */
  | 'header_repeated'
  /** `X-Amz-Signature` and friends in the query string: a presigned URL. */
  | 'signature_in_query'
  /** A request target that cannot be signed unambiguously (see `splitRequestTarget`). */
  | 'target_malformed'
  /** The credential scope names another region or service, or another day than `X-Amz-Date`. */
  | 'scope_mismatch'
  /** `X-Amz-Date` missing or not `YYYYMMDD'T'HHMMSS'Z'`. */
  | 'date_malformed'
  /** `X-Amz-Date` more than the tolerance before now. */
  | 'date_too_old'
  /** `X-Amz-Date` more than the tolerance after now. */
  | 'date_too_new'
  /** `SignedHeaders` unsorted, repeated, without `host` or `x-amz-date`, and the like. */
  | 'signed_headers_invalid'
  /** A header named in `SignedHeaders` is not in the request. */
  | 'signed_header_missing'
  /** `X-Amz-Content-Sha256` neither 64 lower-case hex digits nor `UNSIGNED-PAYLOAD`. */
  | 'payload_hash_malformed'
  /** `UNSIGNED-PAYLOAD` where signed payloads are required. */
  | 'payload_unsigned'
  /** The body's SHA-256 is not the one `X-Amz-Content-Sha256` announces. */
  | 'payload_hash_mismatch'
  /** Wrong signature, or an unknown or revoked access key: the two are not told apart. */
  | 'signature_mismatch'
  /** This exact signed request was already accepted. */
  | 'replayed';

// The nearest existing codes; `docs/sigv4.md` lists the dedicated ones worth adding.
const REASONS: Record<SigV4RejectionReason, { code: ErrorCode; status: 400 | 401; description: string }> = {
  authorization_missing: {
    code: ErrorCode.CREDENTIALS_MISSING,
    status: 401,
    description: 'The request carries no AWS4-HMAC-SHA256 Authorization header.',
  },
  authorization_malformed: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'The Authorization header is not a well-formed AWS4-HMAC-SHA256 signature.',
  },
  header_repeated: {
    code: ErrorCode.CREDENTIALS_AMBIGUOUS,
    status: 400,
    description: 'A header that carries the signature or what it covers is repeated.',
  },
  signature_in_query: {
    code: ErrorCode.CREDENTIAL_IN_URL,
    status: 400,
    description:
      'Signatures in the query string (presigned URLs) are not accepted; use the Authorization header.',
  },
  target_malformed: {
    code: ErrorCode.REQUEST_MALFORMED,
    status: 400,
    description:
      'The request path or query cannot be signed unambiguously (bad percent-encoding, "//", "." or ".." segments).',
  },
  scope_mismatch: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'The credential scope does not match this service, region or X-Amz-Date.',
  },
  date_malformed: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'X-Amz-Date is missing or not in the form YYYYMMDDTHHMMSSZ.',
  },
  date_too_old: {
    code: ErrorCode.TOKEN_EXPIRED,
    status: 401,
    description: 'X-Amz-Date is too far in the past.',
  },
  date_too_new: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'X-Amz-Date is too far in the future.',
  },
  signed_headers_invalid: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description:
      'SignedHeaders must be sorted, lower-case and unique, and include host, x-amz-date and x-amz-content-sha256 when sent.',
  },
  signed_header_missing: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'A header named in SignedHeaders is missing from the request.',
  },
  payload_hash_malformed: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'X-Amz-Content-Sha256 must be the lower-case hex SHA-256 of the body.',
  },
  payload_unsigned: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'Unsigned payloads are not accepted; sign the body.',
  },
  payload_hash_mismatch: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'The body does not match X-Amz-Content-Sha256.',
  },
  signature_mismatch: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'The request signature is not valid.',
  },
  replayed: {
    code: ErrorCode.TOKEN_INVALID,
    status: 401,
    description: 'This signed request was already received.',
  },
};

/**
 * A refused SigV4 request. `reason` is stable and machine-readable; `description` is safe
 * to send back and never says whether an access key exists; `detail` says more, for logs,
 * and never holds a signature or a key.
 */
export class SigV4Rejected extends TesseraError {
  readonly error: 'invalid_request' | 'invalid_token';
  readonly status: 400 | 401;
  readonly reason: SigV4RejectionReason;

  constructor(reason: SigV4RejectionReason, options: TesseraErrorOptions = {}) {
    const { code, status, description } = REASONS[reason];
    super(code, description, options);
    this.reason = reason;
    this.status = status;
    this.error = status === 400 ? 'invalid_request' : 'invalid_token';
  }
}

/** A failed `Result` carrying a {@link SigV4Rejected}. */
export function rejectSigV4(
  reason: SigV4RejectionReason,
  detail?: string,
): { readonly ok: false; readonly error: SigV4Rejected } {
  return fail(new SigV4Rejected(reason, detail === undefined ? {} : { detail }));
}

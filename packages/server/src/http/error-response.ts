import {
  ErrorCode,
  formatChallenge,
  InsufficientScope,
  InvalidClient,
  InvalidRequest,
  InvalidToken,
  PayloadTooLarge,
  ServerError,
  TesseraError,
  UseDpopNonce,
} from '@tessera/core';

/**
 * Maps anything thrown while handling a request to the error the caller sees. Tessera's
 * own errors pass through; the framework's 4xx become `invalid_request`; everything else
 * is a 500 that says nothing of its cause.
 */
export function toTesseraError(error: unknown): TesseraError {
  if (error instanceof TesseraError) return error;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (statusCode === 413) {
    return new PayloadTooLarge(ErrorCode.BODY_TOO_LARGE, 'The request body is too large.');
  }
  if ((error as { code?: unknown }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new InvalidRequest(
      ErrorCode.CONTENT_TYPE,
      'Send parameters as application/x-www-form-urlencoded in the request body.',
    );
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new InvalidRequest(ErrorCode.REQUEST_MALFORMED, 'The request is malformed.');
  }
  return new ServerError(ErrorCode.INTERNAL, 'The server could not handle the request.', { cause: error });
}

/** Headers that go with an error: never cached, and a challenge where the RFC asks for one. */
export function errorHeaders(error: TesseraError): Record<string, string> {
  const headers: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' };
  // RFC 6749 §5.2: a 401 invalid_client carries a challenge for the scheme the client may use.
  if (error instanceof InvalidClient) headers['www-authenticate'] = 'Basic realm="tessera"';
  // RFC 6750 §3 at the userinfo endpoint; a request with no token hears no error code (§3.1).
  if (error instanceof InvalidToken || error instanceof InsufficientScope) {
    const silent = error.code === ErrorCode.CREDENTIALS_MISSING;
    headers['www-authenticate'] = formatChallenge('Bearer', {
      realm: 'tessera',
      ...(silent ? {} : { error: error.error, error_description: error.description }),
      ...error.challenge,
    });
  }
  // RFC 9449 §8: the nonce to send the proof again with.
  if (error instanceof UseDpopNonce) headers['dpop-nonce'] = error.nonce;
  return headers;
}

import { ErrorCode, InvalidRequest } from '@tessera/core';

const MALFORMED_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/**
 * Parses an `application/x-www-form-urlencoded` body. A malformed percent escape is refused
 * rather than passed through literally, as URLSearchParams would.
 */
export function parseFormBody(body: string): URLSearchParams {
  if (MALFORMED_PERCENT.test(body)) {
    throw new InvalidRequest(ErrorCode.REQUEST_MALFORMED, 'The request body is not valid form encoding.');
  }
  return new URLSearchParams(body);
}

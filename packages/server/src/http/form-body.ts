import { ErrorCode, InvalidRequest } from '@tessera/core';

const MALFORMED_PERCENT = /%(?![0-9A-Fa-f]{2})/;
/** A NUL byte, encoded or not: never part of a valid parameter, and PostgreSQL cannot store one. */
const NUL = /%00/;

/**
 * Parses an `application/x-www-form-urlencoded` body. A malformed percent escape is refused
 * rather than passed through literally, as URLSearchParams would, and so is a NUL byte.
 */
export function parseFormBody(body: string): URLSearchParams {
  if (MALFORMED_PERCENT.test(body)) {
    throw new InvalidRequest(ErrorCode.REQUEST_MALFORMED, 'The request body is not valid form encoding.');
  }
  if (NUL.test(body) || body.includes('\u0000')) {
    throw new InvalidRequest(ErrorCode.REQUEST_MALFORMED, 'Parameters must not contain NUL characters.');
  }
  return new URLSearchParams(body);
}

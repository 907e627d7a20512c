/**
 * The `X-Amz-Date` timestamp of Signature Version 4: ISO 8601 basic format in UTC,
 * `YYYYMMDD'T'HHMMSS'Z'`, and the `YYYYMMDD` day that scopes the signing key.
 */

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Formats a time (milliseconds since the epoch) as an `X-Amz-Date` value. Milliseconds
 * are dropped, not rounded: the signature covers whole seconds only.
 *
 * @example
 * ```ts
 * formatAmzDate(Date.UTC(2015, 7, 30, 12, 36, 0)); // '20150830T123600Z'
 * ```
 */
export function formatAmzDate(timeMs: number): string {
  if (!Number.isFinite(timeMs)) throw new RangeError('formatAmzDate needs a finite time');
  const iso = new Date(timeMs).toISOString();
  if (!/^\d{4}-/.test(iso)) throw new RangeError('X-Amz-Date has four-digit years only');
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/**
 * Parses an `X-Amz-Date` value into milliseconds since the epoch. Returns `null` for any
 * other spelling (extended format, offsets, fractions) and for dates that do not exist,
 * such as February 30th or a 60th second. Never throws.
 *
 * @example
 * ```ts
 * parseAmzDate('20150830T123600Z'); // 1440938160000
 * parseAmzDate('2015-08-30T12:36:00Z'); // null
 * ```
 */
export function parseAmzDate(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = AMZ_DATE.exec(value);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls invalid fields over (Feb 30 → Mar 2); a round trip exposes that.
  return formatAmzDate(time) === value ? time : null;
}

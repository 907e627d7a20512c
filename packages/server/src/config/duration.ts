const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/**
 * Parses a DURATION of the contract: a whole number and a unit, `30s`, `15m`, `24h`, `30d`.
 * Returns seconds, or null when the text is not a duration.
 *
 * @example parseDuration('15m') // 900
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})([smhd])$/.exec(text);
  if (match === null) return null;
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

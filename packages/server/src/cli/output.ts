/**
 * Prints a command's result: with `--json`, exactly one JSON object on stdout; otherwise
 * the human lines.
 */
export function printResult(json: boolean, result: object, humanLines: readonly string[]): void {
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${humanLines.join('\n')}\n`);
}

export const isoTime = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The lines that show a secret the only time it is shown, with the warning that goes with it. */
export function shownOnce(label: string, secret: string | undefined): string[] {
  return secret === undefined ? [] : [`${label} ${secret}`, 'It is shown only now: store it safely.'];
}

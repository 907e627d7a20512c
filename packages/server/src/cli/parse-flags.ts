import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseDuration } from '../config/duration.js';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's flags strictly, turning Node's long messages into one line. */
type Parsed<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>
>;

export function parseFlags<T extends Options>(args: string[], options: T, positionals = 0): Parsed<T> {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (parsed.positionals.length > positionals) {
      throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
    }
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as { code?: string }).code;
    const option = /'(-[^']*)'/.exec((error as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`unknown option ${option ?? ''}`.trim());
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(`option ${option ?? ''} is missing its value or takes none`.replace('  ', ' '));
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError('unexpected argument');
    throw error;
  }
}

export function requireFlag<V>(value: V | undefined, flag: string): V {
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  return value;
}

/** A DURATION flag (`30s`, `15m`, `24h`, `30d`) in seconds. */
export function durationFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseDuration(value);
  if (seconds === null) throw new UsageError(`--${flag} must be a duration such as 30s, 15m, 24h or 30d`);
  return seconds;
}

/** A flag whose value must be one of `choices`. */
export function choiceFlag<C extends string>(
  value: string | undefined,
  flag: string,
  choices: readonly C[],
): C | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of: ${choices.join(', ')}`);
  }
  return value as C;
}

/** Splits a space-separated scope flag. */
export function scopeFlag(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(' ').filter((scope) => scope !== '');
}

export const DB_FLAG = { db: { type: 'string' } } as const;
export const JSON_FLAG = { json: { type: 'boolean', default: false } } as const;

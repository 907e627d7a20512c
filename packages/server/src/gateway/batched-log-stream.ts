/**
 * Where the gateway's log lines go by default: standard output, written off the event loop,
 * in one write per batch rather than one per line, and never holding up a request.
 */
import { write as fsWrite } from 'node:fs';

/** A pino destination: `write` takes one line, `flush` calls back once everything is written. */
export interface BatchedLogStream {
  write(line: string): void;
  flush(callback?: (error?: Error) => void): void;
}

/** Writes some of a buffer; calls back with how much (Node's `fs.write` shape). */
export type RawWrite = (
  buffer: Buffer,
  callback: (error: NodeJS.ErrnoException | null, written: number) => void,
) => void;

export interface BatchedLogStreamOptions {
  /** Default: `fs.write` on standard output. */
  readonly write?: RawWrite;
  /** Lines waiting beyond this many bytes are dropped (and counted) rather than kept. */
  readonly maxPendingBytes?: number;
  /** For the line that reports dropped lines; default `Date.now`. */
  readonly now?: () => number;
}

const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Lines wait at most this long for others to share their write… */
const BATCH_MS = 10;
/** …unless this much is already waiting. */
const BATCH_BYTES = 64 * 1024;
const RETRY_MS = 50;

/**
 * Collects lines and writes them together: whatever arrived within 10 ms (or 64 KiB) goes out
 * in one asynchronous write, and whatever arrives while a write is under way goes out in the
 * next. Why: a synchronous write per line cost the gateway more than its own routing, with
 * standard output a pipe, a slow reader (a log shipper, a terminal) stopped every request
 * until it caught up, and a write per line woke that reader thousands of times a second.
 * Here a slow reader only makes lines wait; past `maxPendingBytes` they are dropped, and a
 * line says how many.
 *
 * @example const logger = createLogger('info', batchedLogStream());
 */
export function batchedLogStream(options: BatchedLogStreamOptions = {}): BatchedLogStream {
  const write: RawWrite = options.write ?? ((buffer, callback) => fsWrite(1, buffer, callback));
  const maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
  const now = options.now ?? Date.now;
  let pending: string[] = [];
  let pendingBytes = 0;
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing = false;
  const waiters: (() => void)[] = [];

  const settle = () => {
    if (writing || pending.length > 0 || dropped > 0) return;
    for (const waiter of waiters.splice(0)) waiter();
  };

  const writeOut = (buffer: Buffer) => {
    write(buffer, (error, written) => {
      if (error && error.code !== 'EAGAIN') {
        // Nowhere left to report it: standard output is gone (EPIPE and the like).
        writing = false;
        pending = [];
        pendingBytes = 0;
        dropped = 0;
        settle();
        return;
      }
      const rest = buffer.subarray(error ? 0 : written);
      if (rest.length > 0) {
        setTimeout(() => writeOut(rest), error ? RETRY_MS : 0);
        return;
      }
      writing = false;
      drain();
    });
  };

  const drain = () => {
    clearTimeout(timer);
    timer = undefined;
    if (writing) return;
    if (pending.length === 0 && dropped === 0) {
      settle();
      return;
    }
    let text = pending.join('');
    if (dropped > 0) {
      text += `${JSON.stringify({ level: 40, time: now(), msg: 'log lines dropped: standard output is not keeping up', dropped })}\n`;
      dropped = 0;
    }
    pending = [];
    pendingBytes = 0;
    writing = true;
    writeOut(Buffer.from(text));
  };

  return {
    write(line) {
      if (pendingBytes + line.length > maxPendingBytes) {
        dropped++;
      } else {
        pending.push(line);
        pendingBytes += line.length;
      }
      if (writing) return;
      if (pendingBytes >= BATCH_BYTES) drain();
      else timer ??= setTimeout(drain, BATCH_MS);
    },
    flush(callback) {
      if (callback) waiters.push(() => callback());
      if (!writing) drain();
    },
  };
}

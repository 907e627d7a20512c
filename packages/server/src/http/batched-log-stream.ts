/**
 * Where log lines go by default: standard output, written off the event loop, one write per
 * batch of lines, never holding up a request.
 */
import { write as fsWrite, writeSync as fsWriteSync } from 'node:fs';

/** Writes `buffer` (or part of it) and calls back with how much went out. */
export type RawWrite = (
  buffer: Buffer,
  callback: (error: NodeJS.ErrnoException | null, written: number) => void,
) => void;

export interface BatchedLogStream {
  write(line: string): void;
  /** Writes out everything waiting, then calls `callback`. */
  flush(callback?: () => void): void;
  /** Writes what has not been handed to a write yet, synchronously: for the process's exit. */
  flushSync(): void;
}

export interface BatchedLogStreamOptions {
  /** Default: `fs.write` to file descriptor 1. */
  readonly write?: RawWrite;
  /** Default: `fs.writeSync` to file descriptor 1. */
  readonly writeSync?: (buffer: Buffer) => void;
  /** Lines waiting beyond this many characters are dropped and counted (default 8 MiB). */
  readonly maxPendingBytes?: number;
  readonly now?: () => number;
}

const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Lines wait at most this long for others to share their write… */
const BATCH_MS = 10;
/** …unless this much is already waiting. */
const BATCH_BYTES = 64 * 1024;
/** Standard output said "try again" (a full non-blocking pipe). */
const RETRY_MS = 50;

/**
 * Collects lines and writes them together: what arrives within 10 ms (or 64 KiB) goes out in
 * one asynchronous write, and what arrives while a write is under way goes out in the next.
 * Why not pino's own destination (sonic-boom): it measures the byte length of its whole
 * pending string on every line, which under load cost the gateway about 10 µs a request.
 * Why not a synchronous write per line: a system call each, and a slow reader of standard
 * output (a log shipper, a terminal) would stop every request until it caught up. Here a
 * slow reader only makes lines wait; past `maxPendingBytes` they are dropped, and a line
 * says how many.
 *
 * @example const logger = pino({}, createBatchedLogStream());
 */
export function createBatchedLogStream(options: BatchedLogStreamOptions = {}): BatchedLogStream {
  const write = options.write ?? ((buffer, callback) => fsWrite(1, buffer, callback));
  const writeSync = options.writeSync ?? ((buffer) => fsWriteSync(1, buffer));
  const maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
  const now = options.now ?? Date.now;
  let pending: string[] = [];
  let pendingBytes = 0;
  let dropped = 0;
  let writing = false;
  let timer: NodeJS.Timeout | undefined;
  const waiters: (() => void)[] = [];

  const settle = () => {
    if (writing || pending.length > 0 || dropped > 0) return;
    for (const waiter of waiters.splice(0)) waiter();
  };

  const writeOut = (buffer: Buffer) => {
    write(buffer, (error, written) => {
      if (error && error.code !== 'EAGAIN') {
        // Nowhere left to say so: standard output is gone (EPIPE and the like).
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
      // What came in meanwhile waits for its own batch, unless a flush is waiting on it:
      // writing it at once would mean a small write per completion under load.
      if (waiters.length > 0 || pendingBytes >= BATCH_BYTES) drain();
      else if (pending.length > 0 || dropped > 0) timer ??= setTimeout(drain, BATCH_MS);
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
    writing = true;
    writeOut(takePending());
  };

  /** Everything waiting, with the notice of dropped lines, as one buffer; nothing waits after. */
  const takePending = (): Buffer => {
    let text = pending.join('');
    if (dropped > 0) {
      const notice = {
        level: 40,
        time: now(),
        msg: 'log lines dropped: standard output is not keeping up',
        dropped,
      };
      text += `${JSON.stringify(notice)}\n`;
      dropped = 0;
    }
    pending = [];
    pendingBytes = 0;
    return Buffer.from(text);
  };

  return {
    write(line) {
      if (pendingBytes + line.length > maxPendingBytes) {
        dropped += 1;
      } else {
        pending.push(line);
        pendingBytes += line.length;
      }
      if (writing) return;
      if (pendingBytes >= BATCH_BYTES) drain();
      else timer ??= setTimeout(drain, BATCH_MS);
    },
    flush(callback) {
      if (callback) waiters.push(callback);
      if (writing) return;
      drain();
    },
    flushSync() {
      clearTimeout(timer);
      timer = undefined;
      if (pending.length === 0 && dropped === 0) return;
      try {
        writeSync(takePending());
      } catch {
        // Standard output is gone or full: there is nowhere else to put the lines.
      }
    },
  };
}

let stdoutStream: BatchedLogStream | undefined;

/**
 * The one batched stream over standard output that every logger of the process shares (two
 * would interleave their batches), created on first use. Lines still waiting when the process
 * exits, a crash included, are written synchronously then, so the last lines before an exit
 * are not lost.
 *
 * @example const logger = pino({}, stdoutLogStream());
 */
export function stdoutLogStream(): BatchedLogStream {
  if (stdoutStream === undefined) {
    const stream = createBatchedLogStream();
    process.once('exit', () => stream.flushSync());
    stdoutStream = stream;
  }
  return stdoutStream;
}

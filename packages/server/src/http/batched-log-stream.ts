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

/** Writes `buffer` (or part of it) at once and returns how much went out; may throw EAGAIN. */
export type RawWriteSync = (buffer: Buffer) => number;

export interface BatchedLogStream {
  write(line: string): void;
  /** Calls `callback` once every line written before this call is out (or given up on). */
  flush(callback?: () => void): void;
  /** Writes everything not yet out, synchronously: for the process's exit. */
  flushSync(): void;
}

export interface BatchedLogStreamOptions {
  /** Default: `fs.write` to file descriptor 1. */
  readonly write?: RawWrite;
  /** Default: `fs.writeSync` to file descriptor 1. */
  readonly writeSync?: RawWriteSync;
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
/** How long the exit flush keeps trying a full pipe before it gives up. */
const EXIT_FLUSH_MS = 2000;

/**
 * Collects lines and writes them together: what arrives within 10 ms (or 64 KiB) goes out in
 * one asynchronous write, and what arrives while a write is under way goes out in the next.
 * Why not pino's own destination (sonic-boom): it measures the byte length of its whole
 * pending string on every line, which under load cost the gateway about 10 µs a request.
 * Why not a synchronous write per line: a system call each, and a slow reader of standard
 * output (a log shipper, a terminal) would stop every request until it caught up. Here a
 * slow reader only makes lines wait; past `maxPendingBytes` they are dropped, and a line
 * says how many (as it does for a batch that failed to write).
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
  let timer: NodeJS.Timeout | undefined;
  /** What of the batch being written has not gone out yet; undefined when none is. */
  let unwritten: Buffer | undefined;
  /** Whether a write of `unwritten` is under way (rather than waiting to be retried). */
  let outstanding = false;
  /** Batches are numbered, one written at a time; a flush waits for the one holding the last line it saw. */
  let batchesStarted = 0;
  let waiters: { batch: number; callback: () => void }[] = [];

  /** Everything waiting as one buffer, with a notice of the lines dropped so far. */
  const takePending = (): { buffer: Buffer; lost: number } => {
    let text = pending.join('');
    // If this batch fails, these are lost: its lines and those its notice reports.
    const lost = pending.length + dropped;
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
    return { buffer: Buffer.from(text), lost };
  };

  const batchDone = () => {
    unwritten = undefined;
    const ready = waiters.filter((waiter) => waiter.batch <= batchesStarted);
    waiters = waiters.filter((waiter) => waiter.batch > batchesStarted);
    for (const waiter of ready) waiter.callback();
    // What came in meanwhile waits for its own batch, unless a flush waits on it: writing
    // it at once would mean a small write per completion under load. A count of dropped
    // lines alone waits for the next line (or flush): a failing output is not retried forever.
    if (waiters.length > 0 || pendingBytes >= BATCH_BYTES) drain();
    else if (pending.length > 0) timer ??= setTimeout(drain, BATCH_MS);
  };

  const writeOut = (buffer: Buffer, lost: number) => {
    unwritten = buffer;
    outstanding = true;
    write(buffer, (error, written) => {
      outstanding = false;
      if (unwritten !== buffer) return; // the exit flush took it over
      if (error && error.code !== 'EAGAIN') {
        // Standard output is gone or failing (EPIPE, ENOSPC…): the batch is lost, and says so
        // in the next one, should that get through.
        dropped += lost;
        batchDone();
        return;
      }
      const rest = buffer.subarray(error ? 0 : written);
      if (rest.length === 0) {
        batchDone();
        return;
      }
      unwritten = rest;
      setTimeout(
        () => {
          if (unwritten === rest) writeOut(rest, lost);
        },
        error ? RETRY_MS : 0,
      );
    });
  };

  const drain = () => {
    clearTimeout(timer);
    timer = undefined;
    if (unwritten !== undefined || (pending.length === 0 && dropped === 0)) return;
    batchesStarted += 1;
    const { buffer, lost } = takePending();
    writeOut(buffer, lost);
  };

  return {
    write(line) {
      if (pendingBytes + line.length > maxPendingBytes) {
        dropped += 1;
      } else {
        pending.push(line);
        pendingBytes += line.length;
      }
      if (unwritten !== undefined) return;
      if (pendingBytes >= BATCH_BYTES) drain();
      else timer ??= setTimeout(drain, BATCH_MS);
    },
    flush(callback) {
      const waitingLines = pending.length > 0 || dropped > 0;
      if (!waitingLines && unwritten === undefined) {
        callback?.();
        return;
      }
      // The lines now waiting go in the batch after the one being written, if any.
      const batch = waitingLines ? batchesStarted + 1 : batchesStarted;
      if (callback) waiters.push({ batch, callback });
      drain();
    },
    flushSync() {
      clearTimeout(timer);
      timer = undefined;
      // A batch written in part is finished from where it stopped. One whose write is still
      // under way is left to it: writing it again would print its lines twice.
      const parts = [
        outstanding ? undefined : unwritten,
        pending.length > 0 || dropped > 0 ? takePending().buffer : undefined,
      ];
      unwritten = undefined;
      const deadline = Date.now() + EXIT_FLUSH_MS;
      for (let part of parts) {
        while (part !== undefined && part.length > 0) {
          try {
            part = part.subarray(writeSync(part));
          } catch (error) {
            // A full non-blocking pipe: try again, for a while. Anything else: nowhere to write.
            if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) return;
          }
        }
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

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createBatchedLogStream, type RawWrite } from './batched-log-stream.js';

const afterBatchWindow = () => new Promise((resolve) => setTimeout(resolve, 30));

/** A writer that records what it is given and completes each write only when told to. */
function heldWriter() {
  const writes: string[] = [];
  const pending: (() => void)[] = [];
  const write: RawWrite = (buffer, callback) => {
    writes.push(buffer.toString());
    pending.push(() => callback(null, buffer.length));
  };
  return { write, writes, complete: () => pending.shift()?.() };
}

describe('createBatchedLogStream', () => {
  it('writes the lines of a few milliseconds together, in order, one write at a time', async () => {
    const writer = heldWriter();
    const stream = createBatchedLogStream({ write: writer.write });
    stream.write('a\n');
    stream.write('b\n');
    assert.deepEqual(writer.writes, [], 'nothing written synchronously');
    await afterBatchWindow();
    assert.deepEqual(writer.writes, ['a\nb\n']);
    stream.write('c\n');
    stream.write('d\n');
    await afterBatchWindow();
    assert.deepEqual(writer.writes, ['a\nb\n'], 'no second write while the first is under way');
    writer.complete();
    assert.deepEqual(writer.writes, ['a\nb\n'], 'what waited during a write gets a batch window of its own');
    stream.write('e\n');
    await afterBatchWindow();
    assert.deepEqual(writer.writes, ['a\nb\n', 'c\nd\ne\n']);
  });

  it('writes at once when 64 KiB are waiting', () => {
    const writer = heldWriter();
    const stream = createBatchedLogStream({ write: writer.write });
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 64; i += 1) stream.write(line);
    assert.equal(writer.writes.length, 1);
    assert.equal(writer.writes[0], line.repeat(64));
  });

  it('drops lines past the limit, says how many, and calls back once all is written', async () => {
    const writer = heldWriter();
    const stream = createBatchedLogStream({ write: writer.write, maxPendingBytes: 4, now: () => 7 });
    stream.write('a\n');
    await afterBatchWindow();
    stream.write('b\n');
    stream.write('c\n');
    stream.write('d\n');
    let flushed = false;
    stream.flush(() => {
      flushed = true;
    });
    writer.complete();
    const notice = {
      level: 40,
      time: 7,
      msg: 'log lines dropped: standard output is not keeping up',
      dropped: 1,
    };
    assert.equal(writer.writes[1], `b\nc\n${JSON.stringify(notice)}\n`);
    assert.equal(flushed, false, 'not before the last write is done');
    writer.complete();
    assert.equal(flushed, true);
  });

  it('writes the rest of a partial write, and retries after EAGAIN', async () => {
    const writes: string[] = [];
    let again = true;
    const stream = createBatchedLogStream({
      write: (buffer, callback) => {
        writes.push(buffer.toString());
        if (again) {
          again = false;
          const error: NodeJS.ErrnoException = Object.assign(new Error('try again'), { code: 'EAGAIN' });
          setImmediate(() => callback(error, 0));
        } else {
          setImmediate(() => callback(null, Math.min(3, buffer.length)));
        }
      },
    });
    stream.write('abcdef\n');
    await new Promise<void>((resolve) => stream.flush(() => resolve()));
    assert.deepEqual(writes, ['abcdef\n', 'abcdef\n', 'def\n', '\n']);
  });

  it('writes what waits synchronously on flushSync, once', async () => {
    const writer = heldWriter();
    const synchronous: string[] = [];
    const stream = createBatchedLogStream({
      write: writer.write,
      writeSync: (buffer) => {
        synchronous.push(buffer.toString());
        return buffer.length;
      },
      maxPendingBytes: 4,
      now: () => 7,
    });
    stream.flushSync();
    assert.deepEqual(synchronous, [], 'nothing to write');
    stream.write('a\n');
    stream.write('b\n');
    stream.write('c\n');
    stream.flushSync();
    const notice = {
      level: 40,
      time: 7,
      msg: 'log lines dropped: standard output is not keeping up',
      dropped: 1,
    };
    assert.deepEqual(synchronous, [`a\nb\n${JSON.stringify(notice)}\n`]);
    await afterBatchWindow();
    assert.deepEqual(writer.writes, [], 'the batch window does not write them again');
  });

  it('on flushSync, finishes a batch written in part first, through a full pipe', () => {
    const synchronous: string[] = [];
    let full = 2;
    const stream = createBatchedLogStream({
      write: (_buffer, callback) => callback(null, 3),
      writeSync: (buffer) => {
        full -= 1;
        if (full >= 0) throw Object.assign(new Error('try again'), { code: 'EAGAIN' });
        synchronous.push(buffer.subarray(0, 4096).toString());
        return Math.min(4096, buffer.length);
      },
    });
    // 64 KiB are written at once, and only 3 bytes of them go out before the exit.
    for (let i = 0; i < 8; i += 1) stream.write(`${'x'.repeat(8191)}\n`);
    stream.write('late\n');
    stream.flushSync();
    assert.equal(synchronous.join(''), `${'x'.repeat(8188)}\n${`${'x'.repeat(8191)}\n`.repeat(7)}late\n`);
  });

  it('calls a flush back once the lines before it are out, whatever came after', () => {
    const writer = heldWriter();
    const stream = createBatchedLogStream({ write: writer.write });
    let flushed = 0;
    stream.write('a\n');
    stream.flush(() => {
      flushed += 1;
    });
    stream.write('b\n');
    writer.complete();
    assert.equal(flushed, 1, 'b, written after the flush, is not waited for');
    stream.flush(() => {
      flushed += 1;
    });
    assert.deepEqual(writer.writes, ['a\n', 'b\n'], 'a flush writes what waits at once');
    writer.complete();
    assert.equal(flushed, 2);
    stream.flush(() => {
      flushed += 1;
    });
    assert.equal(flushed, 3, 'nothing waiting: called back at once');
  });

  it('counts the lines of a failed write as dropped, and does not retry on its own', async () => {
    const writes: string[] = [];
    let failing = true;
    const stream = createBatchedLogStream({
      now: () => 7,
      write: (buffer, callback) => {
        writes.push(buffer.toString());
        const error = failing ? Object.assign(new Error('no space'), { code: 'ENOSPC' }) : null;
        callback(error, buffer.length);
      },
    });
    stream.write('a\n');
    stream.write('b\n');
    await afterBatchWindow();
    await afterBatchWindow();
    assert.deepEqual(writes, ['a\nb\n'], 'one attempt, no retry loop');
    failing = false;
    stream.write('c\n');
    await afterBatchWindow();
    const notice = {
      level: 40,
      time: 7,
      msg: 'log lines dropped: standard output is not keeping up',
      dropped: 2,
    };
    assert.deepEqual(writes, ['a\nb\n', `c\n${JSON.stringify(notice)}\n`]);
  });

  it('keeps the lines a process logged just before it exited, or crashed', () => {
    const logger = fileURLToPath(new URL('./logger.ts', import.meta.url));
    for (const [ending, status] of [
      ['process.exit(3);', 3],
      ["throw new Error('boom');", 1],
    ] as const) {
      const script = `import { createLogger } from ${JSON.stringify(logger)};
        const log = createLogger('info');
        const filler = 'f'.repeat(2000);
        for (let i = 0; i < 200; i += 1) log.info({ filler }, 'earlier');
        for (let i = 0; i < 3; i += 1) log.info({ i }, 'last words');
        ${ending}`;
      const child = spawnSync(
        process.execPath,
        ['--conditions=tessera-source', '--import', 'tsx', '--input-type=module', '-e', script],
        { encoding: 'utf8', timeout: 30_000 },
      );
      assert.equal(child.status, status, child.stderr);
      const lines = child.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { i: number; msg: string });
      assert.equal(lines.length, 203, 'every line, whole (400 KB: several batches)');
      assert.deepEqual(
        lines.slice(200).map((line) => [line.i, line.msg]),
        [
          [0, 'last words'],
          [1, 'last words'],
          [2, 'last words'],
        ],
        ending,
      );
    }
  });

  it('gives up quietly when standard output is gone, and still calls back', async () => {
    const stream = createBatchedLogStream({
      write: (_buffer, callback) =>
        setImmediate(() => callback(Object.assign(new Error('gone'), { code: 'EPIPE' }), 0)),
    });
    stream.write('a\n');
    await new Promise<void>((resolve) => stream.flush(() => resolve()));
  });
});

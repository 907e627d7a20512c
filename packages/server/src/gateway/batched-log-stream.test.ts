import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchedLogStream, type RawWrite } from './batched-log-stream.js';

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A writer that records what it is given and completes each write when told to. */
function heldWriter() {
  const writes: string[] = [];
  const pending: (() => void)[] = [];
  const write: RawWrite = (buffer, callback) => {
    writes.push(buffer.toString());
    pending.push(() => callback(null, buffer.length));
  };
  return { write, writes, complete: () => pending.shift()?.() };
}

describe('batchedLogStream', () => {
  it('writes the lines of a few milliseconds together, in order, and the next batch once the write is done', async () => {
    const writer = heldWriter();
    const stream = batchedLogStream({ write: writer.write });
    stream.write('a\n');
    stream.write('b\n');
    assert.deepEqual(writer.writes, []);
    await nextTurn();
    assert.deepEqual(writer.writes, ['a\nb\n']);
    stream.write('c\n');
    stream.write('d\n');
    await nextTurn();
    assert.deepEqual(writer.writes, ['a\nb\n'], 'one write at a time');
    writer.complete();
    assert.deepEqual(writer.writes, ['a\nb\n', 'c\nd\n']);
  });

  it('drops lines past the limit, says how many, and flushes everything on demand', async () => {
    const writer = heldWriter();
    const stream = batchedLogStream({ write: writer.write, maxPendingBytes: 4, now: () => 7 });
    stream.write('a\n');
    await nextTurn();
    stream.write('b\n');
    stream.write('c\n');
    stream.write('d\n');
    let flushed = false;
    stream.flush(() => {
      flushed = true;
    });
    writer.complete();
    assert.equal(
      writer.writes[1],
      `b\nc\n${JSON.stringify({ level: 40, time: 7, msg: 'log lines dropped: standard output is not keeping up', dropped: 1 })}\n`,
    );
    assert.equal(flushed, false);
    writer.complete();
    assert.equal(flushed, true);
  });

  it('writes the rest of a partial write', async () => {
    const writes: string[] = [];
    const stream = batchedLogStream({
      write: (buffer, callback) => {
        writes.push(buffer.toString());
        setImmediate(() => callback(null, Math.min(2, buffer.length)));
      },
    });
    stream.write('abcdef\n');
    await new Promise<void>((resolve) => stream.flush(() => resolve()));
    assert.deepEqual(writes, ['abcdef\n', 'cdef\n', 'ef\n', '\n']);
  });
});

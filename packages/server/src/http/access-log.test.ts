import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createAccessLog } from './access-log.js';

/** A pino logger whose lines are kept, as written. */
function capturingLogger(level: pino.LevelWithSilent = 'info') {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

describe('createAccessLog', () => {
  it('writes the line pino would write for the same fields', () => {
    const { logger, lines } = capturingLogger();
    const access = createAccessLog(logger);
    const fields = {
      method: 'GET',
      path: '/v1/"odd"\\path\u0001\u2028é',
      status: 200,
      route: 'GET /v1/x',
      ms: 1.5,
      incomplete: true,
    };
    access(fields);
    logger.info(fields, 'request');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => line.endsWith('}\n') && !line.slice(0, -1).includes('\n')));
    const [ours, pinos] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(ours && pinos);
    assert.ok(Math.abs((ours.time as number) - (pinos.time as number)) < 1000);
    delete ours.time;
    delete pinos.time;
    assert.deepEqual(Object.keys(ours), Object.keys(pinos), 'the same members, in the same order');
    assert.deepEqual(ours, pinos);
  });

  it('leaves out undefined fields and writes non-finite numbers as null', () => {
    const { logger, lines } = capturingLogger();
    createAccessLog(logger)({ method: 'GET', subject: undefined, ms: Number.NaN });
    const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal('subject' in line, false);
    assert.equal(line.ms, null);
  });

  it('lets a destination that routes by level (pino.multistream) see an info line', () => {
    const info: string[] = [];
    const errors: string[] = [];
    const logger = pino(
      { level: 'info' },
      pino.multistream([
        { level: 'info', stream: { write: (line: string) => info.push(line) } },
        { level: 'error', stream: { write: (line: string) => errors.push(line) } },
      ]),
    );
    const access = createAccessLog(logger);
    logger.error('failed');
    access({ method: 'GET', status: 200 });
    assert.equal(errors.length, 1, 'the access line does not go where the error went');
    assert.equal(info.length, 2);
    assert.equal((JSON.parse(info[1] ?? '') as { msg: string }).msg, 'request');
  });

  it('writes a value of an unexpected type as a string, never raw', () => {
    const { logger, lines } = capturingLogger();
    const hostile = { toString: () => '1,"injected":true}\n{"forged":1' } as unknown as string;
    createAccessLog(logger)({ weird: hostile as unknown as number });
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(line.weird, '1,"injected":true}\n{"forged":1');
    assert.equal('injected' in line, false);
  });

  it('follows the logger level, also when it changes', () => {
    const { logger, lines } = capturingLogger('warn');
    const access = createAccessLog(logger);
    access({ method: 'GET' });
    assert.equal(lines.length, 0);
    logger.level = 'info';
    access({ method: 'GET' });
    assert.equal(lines.length, 1);
  });
});

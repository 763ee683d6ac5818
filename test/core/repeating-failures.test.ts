import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RepeatingFailures } from '../../src/core/repeating-failures.ts';

function recorder(everyMs: number) {
  let now = 0;
  const lines: string[] = [];
  const log = new RepeatingFailures(
    {
      failed: (key, error, repeat) => lines.push(repeat ? `${key} still failing: ${(error as Error).message}, ${repeat.held} held, for ${repeat.sinceMs} ms` : `${key} failed: ${(error as Error).message}`),
      recovered: (key, failedForMs) => lines.push(`${key} recovered after ${failedForMs} ms`),
    },
    everyMs,
    () => now,
  );
  return { log, lines, advance: (ms: number) => (now += ms) };
}

describe('repeating failures', () => {
  it('reports the first failure at once, then at most once per period with the count held back', () => {
    const { log, lines, advance } = recorder(600_000);
    for (let i = 0; i < 130; i++) {
      log.failed('sms', new Error('connect ECONNREFUSED 127.0.0.1:8790'));
      advance(10_000); // a poll every 10 s for 21 minutes and 40 s
    }
    assert.deepEqual(lines, [
      'sms failed: connect ECONNREFUSED 127.0.0.1:8790',
      'sms still failing: connect ECONNREFUSED 127.0.0.1:8790, 59 held, for 600000 ms',
      'sms still failing: connect ECONNREFUSED 127.0.0.1:8790, 59 held, for 1200000 ms',
    ]);
  });

  it('reports a recovery once, and a failure after it as new', () => {
    const { log, lines, advance } = recorder(600_000);
    log.succeeded('wecom'); // never failed: nothing to say
    log.failed('wecom', new Error('timeout'));
    advance(30_000);
    log.failed('wecom', new Error('timeout'));
    advance(10_000);
    log.succeeded('wecom');
    log.succeeded('wecom');
    log.failed('wecom', new Error('HTTP 502'));
    assert.deepEqual(lines, ['wecom failed: timeout', 'wecom recovered after 40000 ms', 'wecom failed: HTTP 502']);
  });

  it('keeps each key apart', () => {
    const { log, lines } = recorder(600_000);
    log.failed('sms', new Error('down'));
    log.failed('email', new Error('down'));
    log.failed('sms', new Error('down'));
    assert.deepEqual(lines, ['sms failed: down', 'email failed: down']);
  });
});

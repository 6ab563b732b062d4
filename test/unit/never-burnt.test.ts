import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isTemporaryFailure } from '../../src/delivery/ledger-failures.js';
import {
  HOLD_FOR_MS,
  HOLD_MAX_DELAY_MS,
  holdDelay,
  runBuildJob,
} from '../../src/digests/build-job.js';
import {
  agoInWords,
  dateInWords,
  daysBefore,
  pastDateWords,
} from '../../src/digests/date-words.js';
import { describeFirstError } from '../../src/digests/digest.js';
import { preflightFailingBuildDeps } from '../helpers/build-job-deps.js';

describe('past dates in words', () => {
  it('counts calendar days and picks the largest unit that fits', () => {
    expect(daysBefore('2026-11-09', '2026-11-30')).toBe(21);
    expect(daysBefore('2026-12-07', '2026-11-30')).toBe(-7);
    expect(agoInWords(1)).toBe('yesterday');
    expect(agoInWords(8)).toBe('8 days ago');
    expect(agoInWords(21)).toBe('3 weeks ago');
    expect(agoInWords(92)).toBe('3 months ago');
    expect(agoInWords(daysBefore('2022-04-11', '2026-12-02'))).toBe('4 years ago');
    expect(dateInWords('2022-04-11')).toBe('Monday 11 April 2022');
  });

  it('asks only beyond 7 days, on the date in DIGEST_TZ', () => {
    const now = new Date('2026-11-30T23:30:00Z'); // already 1 December in Berlin
    expect(pastDateWords('2026-11-23', now, 'UTC')).toBeUndefined();
    expect(pastDateWords('2026-11-23', now, 'Europe/Berlin')).toBe('8 days ago');
    expect(pastDateWords('2026-12-07', now, 'UTC')).toBeUndefined();
  });
});

describe('holding a digest', () => {
  const t0 = Date.parse('2026-11-30T09:00:00Z');
  it('backs off exponentially up to the cap, and gives up after 24 hours', () => {
    const at = (holds: number, elapsed = 0) =>
      holdDelay({ heldSinceMs: t0, holds, nowMs: t0 + elapsed, baseMs: 30_000 });
    expect([1, 2, 3, 4].map((n) => at(n))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(at(10)).toBe(HOLD_MAX_DELAY_MS);
    expect(at(1000)).toBe(HOLD_MAX_DELAY_MS);
    expect(at(200, HOLD_FOR_MS - 1)).toBe(HOLD_MAX_DELAY_MS);
    expect(at(200, HOLD_FOR_MS)).toBeUndefined();
  });

  it('retries for at least 24 hours whatever the base delay', () => {
    for (const baseMs of [100, 30_000, 3_600_000]) {
      // Simulated hold time: the sum of the delays holdDelay hands out (no clock is read).
      let heldMs = 0;
      let holds = 1;
      for (;;) {
        const d = holdDelay({ heldSinceMs: t0, holds, nowMs: t0 + heldMs, baseMs });
        if (d === undefined) break;
        expect(d).toBeLessThanOrEqual(HOLD_MAX_DELAY_MS);
        heldMs += d;
        holds++;
      }
      expect(heldMs).toBeGreaterThanOrEqual(HOLD_FOR_MS);
    }
  });
});

describe('failed deliveries', () => {
  it('only temporary ones may be retried', () => {
    expect(isTemporaryFailure('f:451:1700000000000:t')).toBe(true);
    expect(isTemporaryFailure('f:0:1700000000000:t')).toBe(true);
    expect(isTemporaryFailure('f:550:1700000000000:b')).toBe(false);
    expect(isTemporaryFailure('f:554:1700000000000:p')).toBe(false);
    expect(isTemporaryFailure('f:0:1700000000000:p')).toBe(false);
    // Written before causes were recorded: the code decides.
    expect(isTemporaryFailure('f:421:1700000000000')).toBe(true);
    expect(isTemporaryFailure('f:0:1700000000000')).toBe(true);
    expect(isTemporaryFailure('f:550:1700000000000')).toBe(false);
    expect(isTemporaryFailure('s:250:1700000000000')).toBe(false);
    expect(isTemporaryFailure('r:retry')).toBe(false);
  });

  it('describes the first error with its code once', () => {
    const at = '2026-11-30T09:00:00Z';
    expect(describeFirstError('transient', { code: 451, message: '451 4.3.0 later', at })).toBe(
      'first transient error: 451 4.3.0 later',
    );
    expect(describeFirstError('transient', { code: 451, message: 'greylisted', at })).toBe(
      'first transient error: 451 greylisted',
    );
    expect(describeFirstError('transient', { message: 'connect ECONNREFUSED\n x', at })).toBe(
      'first transient error: connect ECONNREFUSED x',
    );
  });
});

describe('a build job whose preflight fails', () => {
  it('holds the digest, logs at error level, and asks to run again; nothing is stored', async () => {
    const lines: { level: number; msg: string; reason?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const held: string[] = [];
    const calls: string[] = [];
    const deps = preflightFailingBuildDeps({
      digests: {
        getSummary: async () =>
          held.length
            ? { status: 'held', builtAt: '', heldSince: '2026-11-30T09:00:00Z' }
            : undefined,
        previousBuilt: async () => undefined,
        markHeld: async (_w: unknown, reason: string) => void held.push(reason),
        holds: async () => held.length,
        create: async () => void calls.push('create'),
        storeContent: async () => void calls.push('storeContent'),
      },
      postAt: '2026-11-25T10:00:00Z',
      now: '2026-11-30T09:01:00Z',
      frequencies: ['weekly'],
      defaultFrequency: 'weekly',
      log,
      calls,
    });
    const out = await runBuildJob(
      deps,
      { date: '2026-11-30', trigger: 'schedule', scheduledAt: '2026-11-30T09:00:00Z' },
      () => '2026-11-30',
    );
    expect(out).toEqual({ retryInMs: 30_000 });
    expect(held).toEqual(['Greeting never received']);
    expect(calls).toEqual([]);
    const error = lines.find((l) => l.level === 50);
    expect(error).toMatchObject({ reason: 'Greeting never received' });
    expect(error!.msg).toContain('digest held, nothing sent');
  });
});

import { describe, expect, it } from 'vitest';
import { midRunSuite } from '../helpers/mid-run.js';
import { EDITION } from '../helpers/pipeline.js';

const N = 400;
const BATCH = 20;
const CONCURRENCY = 10;

// Slow DATA replies keep messages in flight when the worker dies.
const run = midRunSuite('kill', {
  n: N,
  tag: 'k',
  dataDelayMs: 15,
  env: {
    SEND_BATCH_SIZE: String(BATCH),
    SEND_CONCURRENCY: String(CONCURRENCY),
    SEND_LEASE_SECONDS: '5',
  },
});

describe('a worker killed with SIGKILL mid-run', () => {
  // Bounded by its waits (60 s and 90 s) and two worker starts (tsx loads in ~10 s when loaded).
  it(
    'leaves one ledger entry per subscriber and at most the in-flight messages twice',
    { timeout: 240_000 },
    async () => {
      const { p, sink } = run;
      const first = await run.firstWorkerMidRun();
      await first.kill();
      const atKill = sink.messages.length;
      expect(atKill).toBeLessThan(N);

      const s = await run.secondWorkerFinishes(90_000, 'the digest to finish after the restart');

      expect(s.counters).toMatchObject({ recipients: N, sent: N, failed: 0, skipped: 0 });
      const ledger = await p.ctx.redis.hgetall(p.ctx.keys.ledger(EDITION));
      expect(Object.keys(ledger)).toHaveLength(N);
      expect(Object.values(ledger).every((v) => v.startsWith('s:250:'))).toBe(true);

      const rcpts = sink.recipients();
      const unique = new Set(rcpts);
      expect(unique.size).toBe(N);
      // Duplicates only from the crash window: accepted by SMTP, not yet in the ledger.
      const inFlight = 2 * Math.min(BATCH, CONCURRENCY);
      console.log(
        `kill test: ${atKill} delivered before SIGKILL; ${rcpts.length} messages for ${N} subscribers (${rcpts.length - N} duplicates, bound ${inFlight})`,
      );
      expect(rcpts.length).toBeLessThanOrEqual(N + inFlight);
    },
  );
});

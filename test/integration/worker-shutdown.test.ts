import { describe, expect, it } from 'vitest';
import { midRunSuite } from '../helpers/mid-run.js';
import { EDITION } from '../helpers/pipeline.js';

const N = 300;

const run = midRunSuite('shutdown', {
  n: N,
  tag: 't',
  dataDelayMs: 20,
  env: { SEND_BATCH_SIZE: '25', SEND_CONCURRENCY: '10', SEND_LEASE_SECONDS: '60' },
});

describe('a worker stopped with SIGTERM mid-run', () => {
  // Bounded by its waits (60 s each) and two worker starts (tsx loads in ~10 s on a loaded box).
  it(
    'finishes its sends in flight, exits 0, and leaves nothing for a duplicate',
    { timeout: 180_000 },
    async () => {
      const { p, sink } = run;
      const first = await run.firstWorkerMidRun();
      const exited = new Promise<number | null>((r) => first.child.once('exit', (code) => r(code)));
      first.child.kill('SIGTERM');
      expect(await exited).toBe(0);

      // Nothing is left claimed: every message it handed to SMTP was recorded before it exited.
      const ledger = await p.ctx.redis.hgetall(p.ctx.keys.ledger(EDITION));
      const claimed = Object.values(ledger).filter((v) => v.startsWith('c:'));
      expect(claimed).toEqual([]);
      const sentBefore = Object.values(ledger).filter((v) => v.startsWith('s:')).length;
      expect(sentBefore).toBe(sink.messages.length);

      // Even with a long lease, a second worker picks up the rest at once.
      const s = await run.secondWorkerFinishes(60_000, 'the digest to finish');
      expect(s.counters.sent).toBe(N);
      expect(sink.recipients()).toHaveLength(N);
      expect(new Set(sink.recipients()).size).toBe(N);
    },
  );
});

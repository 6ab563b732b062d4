import type { Keys, RedisClient } from '../redis.js';
import { createDigestBuildWrites } from './digest-build-writes.js';
import { createDigestFanoutState } from './digest-fanout-state.js';
import { createDigestOutcomes } from './digest-outcomes.js';
import { createDigestReads } from './digest-reads.js';

export type { DigestSummary, PreviousEdition } from './digest-reads.js';

/**
 * Editions live in one Redis hash each (`keys.digest(id)`, id `weekly/2026-12-07`): window,
 * status, the frozen post range, the main variant's id and post ids, the counters and the
 * fan-out cursor; each variant's content (rendered once) is in its own hash
 * (src/digests/variant-store.ts). `keys.digests` orders all edition ids by send time and
 * `keys.digestsOf(f)` those of one frequency; `keys.digestFailures(id)` counts failed
 * deliveries by cause and SMTP code (kept by the ledger's scripts).
 *
 * The store's methods come in groups, each built in its own module: the build's moves
 * (`digest-build-writes.ts`), reads (`digest-reads.ts`), holds, retry rounds and errors
 * (`digest-outcomes.ts`), fan-out state and completion (`digest-fanout-state.ts`).
 */
export function createDigestStore(deps: { redis: RedisClient; keys: Keys }) {
  return {
    ...createDigestBuildWrites(deps),
    ...createDigestOutcomes(deps),
    ...createDigestReads(deps),
    ...createDigestFanoutState(deps),
  };
}

export type DigestStore = ReturnType<typeof createDigestStore>;

import type { Keys, RedisClient } from '../redis.js';
import { createScript, freezeScript, markScript, storeContentScript } from './digest-scripts.js';
import type { EditionWindow } from './edition-window.js';

/** The keys an edition's creating scripts take: its hash and the two indexes. */
const editionKeys = (keys: Keys, w: EditionWindow) => [
  keys.digest(w.id),
  keys.digests,
  keys.digestsOf(w.frequency),
];

/** The window fields an edition's creating scripts store. */
const editionArgs = (w: EditionWindow, now: Date) => [
  w.id,
  w.frequency,
  w.date,
  w.sendAt.toISOString(),
  w.windowStart.toISOString(),
  w.windowEnd.toISOString(),
  now.toISOString(),
  w.sendAt.getTime(),
];

/**
 * The digest store's moves of an edition through its build, each one a compare-and-set that
 * only the first builder wins (README guarantee 1; src/digests/digest-store.ts).
 */
export function createDigestBuildWrites(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

  /** Held or skipped, for an edition that is not built; false when it is built already. */
  async function mark(
    status: 'held' | 'skipped',
    window: EditionWindow,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const args = [...editionArgs(window, now), status, reason.slice(0, 500)];
    return (await markScript(redis, editionKeys(keys, window), args)) === 1;
  }

  return {
    /** Creates the edition in status building; false when it already existed (README guarantee 1). */
    async create(window: EditionWindow, now: Date): Promise<boolean> {
      return (await createScript(redis, editionKeys(keys, window), editionArgs(window, now))) === 1;
    },

    /**
     * Freezes the edition's post range once (the first builder wins) and returns what is
     * stored: seqTo, and seqFrom / previousBuiltAt when there was a previous edition.
     * `windowFrom` (see Digest) is kept first, once: every builder of the edition reads it from
     * the same stored editions, and the send path reads it back with the range.
     */
    async freeze(
      id: string,
      range: { seqTo: number; seqFrom?: number; previousBuiltAt?: Date; windowFrom?: Date },
    ): Promise<{ seqTo: number; seqFrom?: number; previousBuiltAt?: Date }> {
      if (range.windowFrom)
        await redis.hsetnx(keys.digest(id), 'windowFrom', range.windowFrom.toISOString());
      const [seqTo, seqFrom, prev] = (await freezeScript(
        redis,
        [keys.digest(id)],
        [range.seqTo, range.seqFrom ?? '', range.previousBuiltAt?.toISOString() ?? ''],
      )) as (string | null)[];
      return {
        seqTo: Number(seqTo),
        ...(seqFrom ? { seqFrom: Number(seqFrom) } : {}),
        ...(prev ? { previousBuiltAt: new Date(prev) } : {}),
      };
    },

    /**
     * Records that the SMTP preflight failed for a digest not built yet: status `held` with the
     * reason; nothing is fanned out. False when the digest is built already.
     */
    markHeld: (window: EditionWindow, reason: string, now: Date) =>
      mark('held', window, reason, now),

    /**
     * Records a scheduled occurrence that is not sent (no posts; missed by more than 24 hours)
     * as `skipped`. It takes no post and stays buildable by a manual send. False when the digest
     * is built already.
     */
    markSkipped: (window: EditionWindow, reason: string, now: Date) =>
      mark('skipped', window, reason, now),

    /**
     * Marks the edition built (status sending) with its main variant, once; false when another
     * builder did first.
     */
    async storeContent(
      id: string,
      content: { subject: string; variant: string; postIds: string[] },
      now: Date,
    ): Promise<boolean> {
      const stored = await storeContentScript(
        redis,
        [keys.digest(id)],
        [content.subject, content.variant, JSON.stringify(content.postIds), now.toISOString()],
      );
      return stored === 1;
    },
  };
}

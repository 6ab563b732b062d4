import type { Keys, RedisClient } from '../redis.js';
import { advanceScript, completeScript } from './digest-scripts.js';

/**
 * The digest store's fan-out state on the edition hash (bound, cursor, done) and its completion
 * (README guarantee 6; src/digests/digest-store.ts).
 */
export function createDigestFanoutState(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

  return {
    /** Fan-out state: the id bound fixed when fan-out starts, and the last id enqueued. */
    async fanoutState(id: string, boundIfUnset: () => Promise<number>) {
      const key = keys.digest(id);
      const [storedBound, cursor, done] = await redis.hmget(
        key,
        'fanoutBound',
        'fanoutCursor',
        'fanoutDone',
      );
      let bound = storedBound;
      if (bound == null) {
        await redis.hsetnx(key, 'fanoutBound', String(await boundIfUnset()));
        bound = await redis.hget(key, 'fanoutBound');
      }
      return { bound: Number(bound), cursor: Number(cursor ?? 0), done: done === '1' };
    },

    /**
     * Advances the cursor and the recipient count together, so a resumed fan-out counts once.
     * False when another builder moved the cursor first (this one must re-read it).
     */
    async advanceFanout(id: string, from: number, to: number, added: number): Promise<boolean> {
      return (
        (await advanceScript(redis, [keys.digest(id)], [String(from), String(to), added])) === 1
      );
    },

    async fanoutCursor(id: string): Promise<number> {
      return Number((await redis.hget(keys.digest(id), 'fanoutCursor')) ?? 0);
    },

    async finishFanout(id: string, now: Date): Promise<void> {
      await redis.hset(keys.digest(id), 'fanoutDone', '1', 'fanoutAt', now.toISOString());
      await this.completeIfDone(id, now);
    },

    /** True when this call moved the digest to sent / sent_with_failures / failed. */
    async completeIfDone(id: string, now: Date): Promise<boolean> {
      return (await completeScript(redis, [keys.digest(id)], [now.toISOString()])) === 1;
    },
  };
}

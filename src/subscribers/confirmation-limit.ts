import { createHash } from 'node:crypto';
import type { Keys, RedisClient } from '../redis.js';

const DAY_SECONDS = 24 * 3600;

/**
 * At most `perDay` confirmation emails per address per day, counted in Redis under
 * keys.rate('confirm', …) by a hash of the address (no address in a key name).
 */
export function createConfirmationLimit(deps: { redis: RedisClient; keys: Keys; perDay: number }) {
  return {
    /** Takes one of today's slots for `email`; false when they are used up. */
    async take(email: string): Promise<boolean> {
      const id = createHash('sha256').update(email.toLowerCase()).digest('base64url').slice(0, 32);
      const key = deps.keys.rate('confirm', id);
      const res = await deps.redis.multi().set(key, 0, 'EX', DAY_SECONDS, 'NX').incr(key).exec();
      const count = Number(res?.[1]?.[1] ?? Infinity);
      return count <= deps.perDay;
    },
  };
}

export type ConfirmationLimit = ReturnType<typeof createConfirmationLimit>;

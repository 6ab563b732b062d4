import { createHash } from 'node:crypto';
import type { Keys, RedisClient } from '../redis.js';

const DAY_SECONDS = 24 * 3600;

const hashOf = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 32);

/**
 * Confirmation emails per address per day: at most `perRequester` asked for by one requester
 * (an IPv4 address or an IPv6 /64) and `perAddress` in all. So one requester cannot use up an
 * address's day (the address's own person still gets theirs from their own network), and
 * many together cannot flood it; what they do send reaches that person, whose link works.
 * Counted in Redis under keys.rate('confirm', …) by hashes (no address in a key name).
 */
export function createConfirmationLimit(deps: {
  redis: RedisClient;
  keys: Keys;
  perAddress: number;
  perRequester: number;
}) {
  return {
    /**
     * Takes one of today's slots for `email` asked for by `requester`; false when either count
     * is used up. Always writes, whatever the address's state (see subscription.request).
     */
    async take(email: string, requester: string): Promise<boolean> {
      const address = hashOf(email.toLowerCase());
      const both = deps.keys.rate('confirm', `${address}:${hashOf(requester)}`);
      const all = deps.keys.rate('confirm', address);
      const res = await deps.redis
        .multi()
        .set(both, 0, 'EX', DAY_SECONDS, 'NX')
        .incr(both)
        .set(all, 0, 'EX', DAY_SECONDS, 'NX')
        .incr(all)
        .exec();
      const failed = res?.find(([err]) => err)?.[0];
      if (failed) throw failed;
      const pair = Number(res?.[1]?.[1] ?? Infinity);
      const total = Number(res?.[3]?.[1] ?? Infinity);
      return pair <= deps.perRequester && total <= deps.perAddress;
    },
  };
}

export type ConfirmationLimit = ReturnType<typeof createConfirmationLimit>;

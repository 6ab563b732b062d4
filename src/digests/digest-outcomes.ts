import type { Keys, RedisClient } from '../redis.js';
import type { FailureCause, FailureGroup, FirstError, SmtpErrorKindSeen } from './digest.js';

/**
 * The digest store's notes on how an edition's sending goes: preflight holds, retry rounds,
 * first SMTP errors and failure groups (src/digests/digest-store.ts).
 */
export function createDigestOutcomes(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

  return {
    /** How many times a held digest's preflight has failed. */
    async holds(id: string): Promise<number> {
      return Number((await redis.hget(keys.digest(id), 'holds')) ?? 0);
    },

    /** A new round number for a retry by hand (its send jobs get ids of their own). */
    async nextRetryRound(id: string): Promise<number> {
      return redis.hincrby(keys.digest(id), 'retryRound', 1);
    },

    /** Keeps the first SMTP error of a kind (later ones of that kind are dropped). */
    async noteError(id: string, kind: SmtpErrorKindSeen, error: FirstError): Promise<void> {
      await redis.hsetnx(keys.digest(id), `error:${kind}`, JSON.stringify(error));
    },

    /** Failed deliveries grouped by cause and SMTP code, largest group first. */
    async failures(id: string): Promise<FailureGroup[]> {
      const all = await redis.hgetall(keys.digestFailures(id));
      return Object.entries(all)
        .map(([field, n]) => {
          const [cause, code] = field.split(':') as [FailureCause, string];
          return { cause, ...(code !== 'none' ? { code: Number(code) } : {}), count: Number(n) };
        })
        .filter((g) => g.count > 0)
        .sort((a, b) => b.count - a.count || (a.code ?? 0) - (b.code ?? 0));
    },
  };
}

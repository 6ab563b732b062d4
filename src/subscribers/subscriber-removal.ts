import { ValidationError } from '../errors.js';
import type { Keys, RedisClient } from '../redis.js';
import { addressKey, normaliseAddress } from './address.js';
import { removeScript, suppressScript } from './store-scripts.js';
import { statusKeysOf, suppressionHash, type SuppressionReason } from './subscriber-record.js';
import type { SubscriberStatus } from './subscriber.js';

const SUPPRESS_STATUS: Record<SuppressionReason, SubscriberStatus | ''> = {
  bounced: 'bounced',
  complained: 'complained',
  manual: 'unsubscribed',
  erased: '',
};

type Deps = { redis: RedisClient; keys: Keys };

/** The subscriber store's deletions and suppressions (src/subscribers/subscriber-store.ts). */
export function createSubscriberRemoval(deps: Deps) {
  const { redis, keys } = deps;
  const subPrefix = keys.subscriber('');
  const removeById = (id: number, suppress: boolean) => removeSubscriber(deps, id, suppress);

  return {
    /** Deletes the subscriber (the address may be added again later). False if there was none. */
    remove(id: number): Promise<boolean> {
      return removeById(id, false);
    },

    /**
     * Erasure: deletes everything about the subscriber and keeps only sha256 of the address in
     * the suppressions, so no add or import brings the address back by mistake.
     */
    async erase(id: number): Promise<void> {
      await removeById(id, true);
    },

    /**
     * Suppresses an address (bounce, complaint, provider webhook, admin): never sent to or added
     * again. An existing pending/confirmed subscriber becomes bounced, complained or (manual)
     * unsubscribed; `erased` deletes the subscriber as `erase` does.
     */
    async suppress(email: string, reason: SuppressionReason): Promise<void> {
      const addr = normaliseAddress(email);
      if (!addr.ok) throw new ValidationError(addr.code, addr.message);
      if (!(reason in SUPPRESS_STATUS))
        throw new ValidationError('SUPPRESSION_REASON_INVALID', `unknown reason: ${reason}`);
      const id = await suppressScript(
        redis,
        [keys.subscriberByEmail, keys.suppressions, ...statusKeysOf(keys), keys.subscriberGroups],
        [
          subPrefix,
          addressKey(addr.email),
          suppressionHash(addr.email),
          reason,
          Date.now(),
          SUPPRESS_STATUS[reason],
        ],
      );
      if (reason === 'erased' && typeof id === 'number' && id > 0) await removeById(id, true);
    },

    /** Lifts a suppression (an admin's deliberate act); the subscriber's status is not changed. */
    async unsuppress(email: string): Promise<boolean> {
      const addr = normaliseAddress(email);
      if (!addr.ok) return false;
      return (await redis.hdel(keys.suppressions, suppressionHash(addr.email))) === 1;
    },
  };
}

/** Deletes subscriber `id` everywhere; with `suppress`, records the address as erased. */
async function removeSubscriber(
  { redis, keys }: Deps,
  id: number,
  suppress: boolean,
): Promise<boolean> {
  const email = await redis.hget(keys.subscriber(id), 'e');
  if (email === null) return false;
  const done = await removeScript(
    redis,
    [
      keys.subscriber(id),
      keys.subscriberByEmail,
      keys.suppressions,
      ...statusKeysOf(keys),
      keys.subscriberGroups,
    ],
    [id, addressKey(email), suppress ? suppressionHash(email) : '', Date.now()],
  );
  return done === 1;
}

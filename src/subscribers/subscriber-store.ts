import type { Keys, RedisClient } from '../redis.js';
import { createSubscriberAdds } from './subscriber-adds.js';
import { createSubscriberLookup } from './subscriber-lookup.js';
import { createSubscriberPaging } from './subscriber-paging.js';
import { suppressionHash } from './subscriber-record.js';
import { createSubscriberRemoval } from './subscriber-removal.js';
import { createSubscriberWrites } from './subscriber-writes.js';

export type {
  AddInput,
  AddManyItem,
  AddManyResult,
  AddOutcome,
  Consent,
  SuppressionReason,
} from './subscriber-record.js';
export type { SendInfo } from './subscriber-lookup.js';
export { suppressionHash };

/**
 * The subscriber store on Redis. One hash per subscriber (`keys.subscriber(id)`), ids from
 * INCR-style `keys.subscriberSeq`, an address index `keys.subscriberByEmail` (uniqueness key →
 * id), one zset per status scored by id (fan-out pages through `confirmed` in id order), and
 * `keys.suppressions` (hash sha256(address) → "reason:ms") that no add or import gets past.
 * Every change that touches more than one key runs as one Lua script.
 *
 * The store's methods come in groups, each built in its own module: adds
 * (`subscriber-adds.ts`), reads by id and address (`subscriber-lookup.ts`), pages and counts
 * (`subscriber-paging.ts`), status and field changes (`subscriber-writes.ts`), deletions and
 * suppressions (`subscriber-removal.ts`).
 */
export function createSubscriberStore(deps: { redis: RedisClient; keys: Keys }) {
  const lookup = createSubscriberLookup(deps);
  return {
    ...createSubscriberAdds({ ...deps, get: lookup.get }),
    ...lookup,
    ...createSubscriberPaging({ ...deps, getMany: lookup.getMany }),
    ...createSubscriberWrites(deps),
    ...createSubscriberRemoval(deps),
  };
}

export type SubscriberStore = ReturnType<typeof createSubscriberStore>;

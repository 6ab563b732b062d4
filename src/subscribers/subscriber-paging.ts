import type { Keys, RedisClient } from '../redis.js';
import { SUBSCRIBER_STATUSES, type Subscriber, type SubscriberStatus } from './subscriber.js';
import { checkStatus, statusKeysOf } from './subscriber-record.js';
import { createSubscriberSearch } from './subscriber-search.js';

interface PagingDeps {
  redis: RedisClient;
  keys: Keys;
  getMany: (ids: readonly number[]) => Promise<(Subscriber | undefined)[]>;
}

type ListOptions = Parameters<typeof listSubscribers>[2];

/** The subscriber store's pages and counts (src/subscribers/subscriber-store.ts). */
export function createSubscriberPaging(deps: PagingDeps) {
  const { redis, keys } = deps;
  const search = createSubscriberSearch(deps);
  const list = (opts: ListOptions) => listSubscribers(deps, search, opts);

  return {
    /** Ids of `status` in (afterId, maxId], in id order, at most `limit`. */
    async pageIds(
      status: SubscriberStatus,
      afterId: number,
      limit: number,
      maxId?: number,
    ): Promise<number[]> {
      checkStatus(status);
      const ids = await redis.zrangebyscore(
        keys.subscribersByStatus(status),
        `(${afterId}`,
        maxId === undefined ? '+inf' : maxId,
        'LIMIT',
        0,
        limit,
      );
      return ids.map(Number);
    },

    list,

    /** Subscribers per status (ZCARD each, one round trip). */
    async counts(): Promise<Record<SubscriberStatus, number>> {
      const p = redis.pipeline();
      for (const k of statusKeysOf(keys)) p.zcard(k);
      const res = (await p.exec()) ?? [];
      const out = {} as Record<SubscriberStatus, number>;
      SUBSCRIBER_STATUSES.forEach((s, i) => (out[s] = Number(res[i]?.[1] ?? 0)));
      return out;
    },

    /** Every subscriber (of one status), page by page in id order: memory stays one page. */
    async *iterate(
      opts: { status?: SubscriberStatus; pageSize?: number } = {},
    ): AsyncGenerator<Subscriber[]> {
      let afterId = 0;
      for (;;) {
        const page = await list({ status: opts.status, afterId, limit: opts.pageSize ?? 500 });
        if (page.subscribers.length) yield page.subscribers;
        if (page.nextAfterId === undefined) return;
        afterId = page.nextAfterId;
      }
    },
  };
}

/**
 * A page of subscribers. Without `search`: in id order after `afterId`, optionally of one
 * status; `nextAfterId` is set when there may be more. With `search`: see subscriber-search.ts.
 */
async function listSubscribers(
  { redis, keys, getMany }: PagingDeps,
  search: ReturnType<typeof createSubscriberSearch>,
  opts: {
    status?: SubscriberStatus;
    search?: string;
    afterId?: number;
    cursor?: string;
    limit: number;
  },
): Promise<{ subscribers: Subscriber[]; nextAfterId?: number; nextCursor?: string }> {
  if (opts.status) checkStatus(opts.status);
  const limit = Math.max(1, Math.min(1000, Math.floor(opts.limit)));
  if (opts.search?.trim())
    return search(opts.search, { status: opts.status, cursor: opts.cursor, limit });
  const after = `(${opts.afterId ?? 0}`;
  const statuses = opts.status ? [opts.status] : SUBSCRIBER_STATUSES;
  const p = redis.pipeline();
  for (const s of statuses)
    p.zrangebyscore(keys.subscribersByStatus(s), after, '+inf', 'LIMIT', 0, limit);
  const res = (await p.exec()) ?? [];
  const ids = res
    .flatMap(([err, v]) => {
      if (err) throw err;
      return (v as string[]).map(Number);
    })
    .sort((a, b) => a - b)
    .slice(0, limit);
  const subscribers = (await getMany(ids)).filter((s): s is Subscriber => s !== undefined);
  return { subscribers, nextAfterId: ids.length === limit ? ids[ids.length - 1] : undefined };
}

import type { Keys, RedisClient } from '../redis.js';
import type { Subscriber, SubscriberStatus } from './subscriber.js';

/** Entries HSCAN looks at per call, and calls at most per search page: a bounded read. */
const SCAN_COUNT = 1000;
const MAX_SCANS = 20;

/** Escapes Redis glob characters so the search text matches literally. */
function globEscape(s: string): string {
  return s.replace(/([*?[\]\\])/g, '\\$1');
}

/**
 * Substring search over addresses: HSCAN of the by-email index with MATCH `*text*` (the index
 * holds lower-cased addresses, so the search is case-insensitive). At most MAX_SCANS × SCAN_COUNT
 * index entries are read per page, never the whole index at once; `nextCursor` continues the
 * scan. A page is in id order within itself and may hold somewhat more than `limit` (all
 * matches of the last HSCAN batch are kept, so none is skipped), or fewer with more to come.
 */
export function createSubscriberSearch(deps: {
  redis: RedisClient;
  keys: Keys;
  getMany(ids: readonly number[]): Promise<(Subscriber | undefined)[]>;
}) {
  const { redis, keys } = deps;
  return async function search(
    text: string,
    opts: { status?: SubscriberStatus; cursor?: string; limit: number },
  ): Promise<{ subscribers: Subscriber[]; nextCursor?: string }> {
    const match = `*${globEscape(text.trim().toLowerCase())}*`;
    let cursor = opts.cursor && /^[0-9]+$/.test(opts.cursor) ? opts.cursor : '0';
    const found: Subscriber[] = [];
    for (let i = 0; i < MAX_SCANS; i++) {
      const [next, flat] = await redis.hscan(
        keys.subscriberByEmail,
        cursor,
        'MATCH',
        match,
        'COUNT',
        SCAN_COUNT,
      );
      cursor = next;
      const ids: number[] = [];
      for (let j = 1; j < flat.length; j += 2) ids.push(Number(flat[j]));
      for (const s of await deps.getMany(ids)) {
        if (s && (!opts.status || s.status === opts.status)) found.push(s);
      }
      if (cursor === '0' || found.length >= opts.limit) break;
    }
    found.sort((a, b) => a.id - b.id);
    return { subscribers: found, nextCursor: cursor === '0' ? undefined : cursor };
  };
}

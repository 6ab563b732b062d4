import type { Keys, RedisClient } from '../redis.js';
import { plainSummary, plainTitle } from './feed-values.js';
import type { ParsedItem } from './parse-feed.js';
import type { Post } from './post.js';
import { createPostReads } from './post-reads.js';
import { MANUAL_FEED, upsertPost } from './post-upsert.js';

export { CONTENT_FIELDS, dedupeKey, MANUAL_FEED, postId } from './post-upsert.js';

/**
 * Posts in Redis: a hash per post, an index from guid:/url: keys to ids (so the same post in
 * two feeds is one post), and two sorted sets by publishedAt and firstSeenAt
 * (and one by arrival seq).
 *
 * Storing a post is `post-upsert.ts`, the reads by id, page, window and seq `post-reads.ts`.
 */
export function createPostStore(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  const reads = createPostReads(deps);
  const upsert = (item: ParsedItem, feed: string, now: Date) => upsertPost(deps, item, feed, now);

  return {
    upsert,
    ...reads,

    /** A post for a blog without a feed. Same rules as feed posts (plain text, de-duplicated). */
    async addManual(
      input: { title: string; url: string; date?: Date; summary?: string },
      now: Date,
    ): Promise<Post> {
      const item: ParsedItem = {
        url: input.url,
        title: plainTitle(input.title, 'text') ?? input.url,
        summary: plainSummary(input.summary, 'text'),
        ...(input.date ? { publishedAt: input.date } : {}),
      };
      const { id } = await upsert(item, MANUAL_FEED, now);
      const post = await reads.get(id);
      if (!post) throw new Error(`post ${id} vanished right after it was stored`);
      return post;
    },

    /** The latest arrival seq given out (0 before any post): what an edition build freezes. */
    async currentSeq(): Promise<number> {
      return Number((await redis.get(keys.postSeq)) ?? 0);
    },

    /**
     * The arrival seq of the latest post first seen at or before `ms` (0 if none, or if it was
     * stored by an earlier version): every post arrived after `ms` has a greater seq.
     */
    async seqAt(ms: number): Promise<number> {
      const [id] = await redis.zrevrangebyscore(keys.postsBySeen, ms, '-inf', 'LIMIT', 0, 1);
      if (!id) return 0;
      return Number((await redis.hget(keys.post(id), 'seq')) ?? 0);
    },
  };
}

export type PostStore = ReturnType<typeof createPostStore>;

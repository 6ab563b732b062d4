import type { Keys, RedisClient } from '../redis.js';
import { parseImageSize } from './image-size.js';
import type { Post } from './post.js';

/** Bound on one window read (README guarantee 8); a real window holds far fewer posts. */
const WINDOW_READ_LIMIT = 5000;

/** One post by id (undefined: none, or a hash without its id and URL). */
async function getPost(
  deps: { redis: RedisClient; keys: Keys },
  id: string,
): Promise<Post | undefined> {
  const { redis, keys } = deps;
  return toPost(await redis.hgetall(keys.post(id)));
}

/** The posts of `ids` that exist, in that order, in one round trip. */
async function getPosts(deps: { redis: RedisClient; keys: Keys }, ids: string[]): Promise<Post[]> {
  const { redis, keys } = deps;
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(keys.post(id));
  const rows = (await pipeline.exec()) ?? [];
  const posts: Post[] = [];
  for (const [err, row] of rows) {
    if (err) throw err;
    const post = toPost(row as Record<string, string>);
    if (post) posts.push(post);
  }
  return posts;
}

/** The post store's reads: by id, by page, by publication window and by arrival seq. */
export function createPostReads(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

  return {
    get: (id: string) => getPost(deps, id),
    getMany: (ids: string[]) => getPosts(deps, ids),

    /** Newest published first. */
    async list(opts: {
      limit: number;
      offset?: number;
    }): Promise<{ posts: Post[]; total: number }> {
      const offset = Math.max(0, opts.offset ?? 0);
      const limit = Math.max(1, Math.min(opts.limit, 1000));
      const [ids, total] = await Promise.all([
        redis.zrevrange(keys.postsByPublished, offset, offset + limit - 1),
        redis.zcard(keys.postsByPublished),
      ]);
      return { posts: await getPosts(deps, ids), total };
    },

    /** Posts with start <= publishedAt < end, newest first. */
    async listPublishedBetween(startMs: number, endMs: number): Promise<Post[]> {
      if (endMs <= startMs) return [];
      const ids = await redis.zrevrangebyscore(
        keys.postsByPublished,
        `(${endMs}`,
        startMs,
        'LIMIT',
        0,
        WINDOW_READ_LIMIT,
      );
      return getPosts(deps, ids);
    },

    /**
     * Posts with afterSeq < seq <= toSeq, latest arrivals first, at most `limit` (README
     * guarantee 8): a subscriber's post set for an edition is drawn from these.
     */
    async listArrivedBetween(afterSeq: number, toSeq: number, limit: number): Promise<Post[]> {
      if (toSeq <= afterSeq) return [];
      const ids = await redis.zrevrangebyscore(
        keys.postsBySeq,
        toSeq,
        `(${afterSeq}`,
        'LIMIT',
        0,
        Math.max(1, Math.min(limit, WINDOW_READ_LIMIT)),
      );
      return getPosts(deps, ids);
    },
  };
}

function parseCategories(raw: string | undefined): string[] | undefined {
  if (!raw) return undefined;
  try {
    const list: unknown = JSON.parse(raw);
    return Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string') : undefined;
  } catch {
    return undefined;
  }
}

function toPost(h: Record<string, string> | null | undefined): Post | undefined {
  if (!h?.id || !h.url) return undefined;
  return {
    id: h.id,
    feed: h.feed ?? '',
    guid: h.guid || undefined,
    url: h.url,
    title: h.title ?? '',
    author: h.author || undefined,
    publishedAt: h.publishedAt ?? h.firstSeenAt ?? '',
    summary: h.summary ?? '',
    imageUrl: h.imageUrl || undefined,
    ...(h.imageUrl && parseImageSize(h.imageSize)
      ? { imageSize: parseImageSize(h.imageSize) }
      : {}),
    firstSeenAt: h.firstSeenAt ?? '',
    ...(h.blog ? { blog: h.blog } : {}),
    ...(h.categories ? { categories: parseCategories(h.categories) ?? [] } : {}),
    ...(h.dateIssue === 'missing' || h.dateIssue === 'unreadable'
      ? { dateIssue: h.dateIssue }
      : {}),
    ...(h.unreadableDate ? { unreadableDate: h.unreadableDate } : {}),
    ...(h.seq ? { seq: Number(h.seq) } : {}),
    ...(h.digest ? { digest: h.digest } : {}),
  };
}

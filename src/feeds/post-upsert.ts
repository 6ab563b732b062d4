import { createHash } from 'node:crypto';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import type { ParsedItem } from './parse-feed.js';
import type { Post } from './post.js';

/** The feed name of posts an admin added by hand. */
export const MANUAL_FEED = 'manual';

/**
 * Content fields compared to tell 'updated' from 'unchanged' ('' = absent); lua/post-upsert.lua
 * lists them in the same order.
 */
export const CONTENT_FIELDS = [
  'guid',
  'url',
  'title',
  'author',
  'summary',
  'imageUrl',
  'blog',
  'categories',
] as const;

/**
 * Inserts or updates one post, all in one script so a crash never leaves half a post or an
 * index entry without its post.
 * KEYS: post, index, byPublished, bySeen, seqCounter, bySeq.
 * ARGV: id, guidKey|'', urlKey, nowIso, nowMs, publishedIso|'', publishedMs|'', feed,
 *       dateIssue|'', unreadableDate|'', then the CONTENT_FIELDS values in order.
 * Returns 'new' | 'updated' | 'unchanged' | 'retry' (the index moved under us).
 */
const upsertScript = luaCommand(new URL('./lua/post-upsert.lua', import.meta.url), 6);

/** The key a post is identified by across all feeds: its guid, else its URL. */
export function dedupeKey(item: { guid?: string; url: string }): string {
  return item.guid ? `guid:${item.guid}` : `url:${item.url}`;
}

/** A post id: short, URL-safe, derived from the dedupe key so every process agrees on it. */
export function postId(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

/**
 * Stores one parsed item of `feed` (src/feeds/post-store.ts: `upsert`): new, updated or
 * unchanged. The id comes from the post index when the item is known there, so a post in two
 * feeds stays one post; tried again (three times at most) when the index moved under it.
 */
export async function upsertPost(
  deps: { redis: RedisClient; keys: Keys },
  item: ParsedItem,
  feed: string,
  now: Date,
): Promise<{ id: string; result: 'new' | 'updated' | 'unchanged' }> {
  const { redis, keys } = deps;
  const guidKey = item.guid ? `guid:${item.guid}` : '';
  const urlKey = `url:${item.url}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Without a guid, a post with the same URL (even one that has a guid) is the same post.
    const existing = await redis.hget(keys.postIndex, guidKey || urlKey);
    const id = existing ?? postId(dedupeKey(item));
    const result = (await upsertScript(
      redis,
      [
        keys.post(id),
        keys.postIndex,
        keys.postsByPublished,
        keys.postsBySeen,
        keys.postSeq,
        keys.postsBySeq,
      ],
      [
        id,
        guidKey,
        urlKey,
        now.toISOString(),
        now.getTime(),
        item.publishedAt?.toISOString() ?? '',
        item.publishedAt?.getTime() ?? '',
        feed,
        dateIssue(item, feed) ?? '',
        item.publishedAt ? '' : (item.unreadableDate ?? ''),
        item.guid ?? '',
        item.url,
        item.title,
        item.author ?? '',
        item.summary,
        item.imageUrl ?? '',
        item.blog ?? '',
        item.categories?.length ? JSON.stringify(item.categories) : '',
      ],
    )) as string;
    if (result !== 'retry') return { id, result: result as 'new' | 'updated' | 'unchanged' };
  }
  throw new Error(`post index kept changing while storing ${urlKey}`);
}

/** Why a post's publishedAt is its firstSeenAt, if it is; an admin's post without a date is dated now on purpose. */
function dateIssue(item: ParsedItem, feed: string): Post['dateIssue'] {
  if (item.publishedAt || feed === MANUAL_FEED) return undefined;
  return item.unreadableDate ? 'unreadable' : 'missing';
}

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createPostStore, dedupeKey, postId } from '../../src/feeds/post-store.js';
import type { ParsedItem } from '../../src/feeds/parse-feed.js';
import { deletePrefix, testRedis } from '../helpers/redis.js';

const t = testRedis('post-store');
const store = createPostStore({ redis: t.redis, keys: t.keys });
const NOW = new Date('2025-03-10T12:00:00Z');

const item = (n: number, extra: Partial<ParsedItem> = {}): ParsedItem => ({
  guid: `g-${n}`,
  url: `https://posts.example/${n}`,
  title: `Post ${n}`,
  summary: `Summary ${n}`,
  publishedAt: new Date(Date.UTC(2025, 2, n)),
  ...extra,
});

beforeEach(() => deletePrefix(t.redis, t.prefix));
afterAll(() => t.cleanup());

describe('post store', () => {
  it('stores a post as a hash with an id derived from its guid', async () => {
    const { id, result } = await store.upsert(
      item(1, { author: 'Ann', imageUrl: 'https://i.example/1.png' }),
      'https://f.example/rss',
      NOW,
    );
    expect(result).toBe('new');
    expect(id).toBe(postId(dedupeKey({ guid: 'g-1', url: 'x' })));
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await t.redis.type(t.keys.post(id))).toBe('hash');
    expect(await store.get(id)).toEqual({
      id,
      feed: 'https://f.example/rss',
      guid: 'g-1',
      url: 'https://posts.example/1',
      title: 'Post 1',
      author: 'Ann',
      publishedAt: '2025-03-01T00:00:00.000Z',
      summary: 'Summary 1',
      imageUrl: 'https://i.example/1.png',
      firstSeenAt: NOW.toISOString(),
      // The first post stored under this prefix: arrival number 1, indexed by it.
      seq: 1,
    });
    expect(await t.redis.zscore(t.keys.postsBySeq, id)).toBe('1');
  });

  it('a post without a date takes firstSeenAt as its date', async () => {
    const { id } = await store.upsert(item(2, { publishedAt: undefined }), 'f', NOW);
    const post = await store.get(id);
    expect(post?.publishedAt).toBe(NOW.toISOString());
    expect(await t.redis.zscore(t.keys.postsByPublished, id)).toBe(String(NOW.getTime()));
  });

  it('unchanged, updated in place (keeping firstSeenAt, seq and digest), never duplicated', async () => {
    const { id } = await store.upsert(item(3), 'f', NOW);
    const seq = (await store.get(id))!.seq;
    expect(seq).toBeGreaterThan(0);
    expect((await store.upsert(item(3), 'f', new Date('2025-03-11T00:00:00Z'))).result).toBe(
      'unchanged',
    );
    // What an earlier version marked on a post it sent.
    await t.redis.hset(t.keys.post(id), 'digest', '2025-03-10');
    const later = new Date('2025-03-12T00:00:00Z');
    const changed = await store.upsert(
      item(3, { title: 'Post 3, revised', author: undefined }),
      'f',
      later,
    );
    expect(changed).toEqual({ id, result: 'updated' });
    const post = await store.get(id);
    expect(post).toMatchObject({
      title: 'Post 3, revised',
      firstSeenAt: NOW.toISOString(),
      seq,
      digest: '2025-03-10',
    });
    expect((await store.list({ limit: 10 })).total).toBe(1);
    expect(await store.currentSeq()).toBe(seq);
  });

  it('list: newest published first, with offset and total', async () => {
    for (const n of [5, 1, 9, 3]) await store.upsert(item(n), 'f', NOW);
    const page1 = await store.list({ limit: 2 });
    expect(page1.total).toBe(4);
    expect(page1.posts.map((p) => p.title)).toEqual(['Post 9', 'Post 5']);
    const page2 = await store.list({ limit: 2, offset: 2 });
    expect(page2.posts.map((p) => p.title)).toEqual(['Post 3', 'Post 1']);
  });

  it('listPublishedBetween: start inclusive, end exclusive', async () => {
    for (const n of [1, 2, 3, 4]) await store.upsert(item(n), 'f', NOW);
    const start = Date.UTC(2025, 2, 2);
    const end = Date.UTC(2025, 2, 4);
    const posts = await store.listPublishedBetween(start, end);
    expect(posts.map((p) => p.title)).toEqual(['Post 3', 'Post 2']);
    expect(await store.listPublishedBetween(end, start)).toEqual([]);
    expect((await store.listPublishedBetween(start, end + 1)).map((p) => p.title)).toEqual([
      'Post 4',
      'Post 3',
      'Post 2',
    ]);
  });

  it('numbers posts in arrival order: a new post takes the next seq, an update keeps its own', async () => {
    const before = await store.currentSeq();
    const a = (await store.upsert(item(1), 'f', NOW)).id;
    const b = (await store.upsert(item(2), 'f', NOW)).id;
    // Published earlier but arrived last: arrival, not publication, orders seq.
    const c = (await store.upsert(item(0), 'f', NOW)).id;
    await store.upsert(item(1, { title: 'Post 1, revised' }), 'f', NOW);
    const seqs = await Promise.all([a, b, c].map(async (id) => (await store.get(id))!.seq));
    expect(seqs).toEqual([before + 1, before + 2, before + 3]);
    expect(await store.currentSeq()).toBe(before + 3);
    // (after, to], latest arrival first; an empty or reversed range reads nothing.
    const ids = (await store.listArrivedBetween(before + 1, before + 3, 10)).map((p) => p.id);
    expect(ids).toEqual([c, b]);
    expect(await store.listArrivedBetween(before + 3, before + 3, 10)).toEqual([]);
    expect((await store.listArrivedBetween(before, before + 3, 2)).map((p) => p.id)).toEqual([
      c,
      b,
    ]);
  });

  it('getMany keeps the order and skips missing ids', async () => {
    const a = (await store.upsert(item(1), 'f', NOW)).id;
    const b = (await store.upsert(item(2), 'f', NOW)).id;
    expect((await store.getMany([b, 'missing', a])).map((p) => p.id)).toEqual([b, a]);
  });

  it('addManual stores a post for a blog without a feed, de-duplicated by URL', async () => {
    const post = await store.addManual(
      {
        title: '  Hand   made ',
        url: 'https://blog.example/hand',
        summary: 'A   summary',
        date: new Date('2025-03-05T00:00:00Z'),
      },
      NOW,
    );
    expect(post).toMatchObject({
      feed: 'manual',
      title: 'Hand made',
      summary: 'A summary',
      publishedAt: '2025-03-05T00:00:00.000Z',
    });
    const again = await store.addManual(
      { title: 'Hand made', url: 'https://blog.example/hand' },
      NOW,
    );
    expect(again.id).toBe(post.id);
    expect((await store.list({ limit: 10 })).total).toBe(1);
  });

  it('keeps the blog name and categories, and updates them with the feed', async () => {
    const { id } = await store.upsert(
      item(4, { blog: 'Ann’s Notes', categories: ['Release Notes', 'typescript'] }),
      'f',
      NOW,
    );
    expect(await store.get(id)).toMatchObject({
      blog: 'Ann’s Notes',
      categories: ['Release Notes', 'typescript'],
    });
    expect(
      (await store.upsert(item(4, { blog: 'Ann’s Notes', categories: ['x'] }), 'f', NOW)).result,
    ).toBe('updated');
    const after = await store.upsert(item(4, { blog: 'Ann’s Notes' }), 'f', NOW);
    expect(after.result).toBe('updated');
    const post = await store.get(id);
    expect(post?.categories).toBeUndefined();
    expect(post?.blog).toBe('Ann’s Notes');
  });

  it('flags a post its feed did not date, and clears the flag once the feed gives a date', async () => {
    const undated = item(5, { publishedAt: undefined, unreadableDate: '06/01/2006 at teatime' });
    const { id } = await store.upsert(undated, 'f', NOW);
    expect(await store.get(id)).toMatchObject({
      publishedAt: NOW.toISOString(),
      dateIssue: 'unreadable',
      unreadableDate: '06/01/2006 at teatime',
    });
    // Still no date, and now none written at all: the flag follows.
    const later = new Date('2025-03-11T00:00:00Z');
    expect((await store.upsert(item(5, { publishedAt: undefined }), 'f', later)).result).toBe(
      'updated',
    );
    let post = await store.get(id);
    expect(post).toMatchObject({ publishedAt: NOW.toISOString(), dateIssue: 'missing' });
    expect(post?.unreadableDate).toBeUndefined();
    // A readable date: the post takes it, the flag goes.
    expect((await store.upsert(item(5), 'f', later)).result).toBe('updated');
    post = await store.get(id);
    expect(post?.publishedAt).toBe('2025-03-05T00:00:00.000Z');
    expect(post?.dateIssue).toBeUndefined();
    expect(await t.redis.zscore(t.keys.postsByPublished, id)).toBe(String(Date.UTC(2025, 2, 5)));
    // A feed that then loses the date again: the post keeps its date and gets no flag.
    await store.upsert(item(5, { publishedAt: undefined, unreadableDate: 'soon' }), 'f', later);
    post = await store.get(id);
    expect(post?.publishedAt).toBe('2025-03-05T00:00:00.000Z');
    expect(post?.dateIssue).toBeUndefined();
    expect(post?.unreadableDate).toBeUndefined();
  });

  it('a manual post without a date is dated now on purpose: no flag', async () => {
    const post = await store.addManual({ title: 'Now', url: 'https://blog.example/now' }, NOW);
    expect(post.publishedAt).toBe(NOW.toISOString());
    expect(post.dateIssue).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { digestWindow } from '../../src/digests/digest-window.js';
import {
  candidatesStart,
  isFresh,
  LATE_ARRIVAL_DAYS,
  selectPostSet,
} from '../../src/digests/select-posts.js';
import type { Post } from '../../src/feeds/post.js';
import type { Topic } from '../../src/topics/topic.js';

// Window: 2026-03-02T09:00Z .. 2026-03-09T09:00Z
const window = digestWindow('2026-03-09', { cron: '0 9 * * 1', tz: 'UTC' });
const previousBuiltAt = new Date('2026-03-02T09:00:30Z');

function post(id: string, publishedAt: string, extra: Partial<Post> = {}): Post {
  return {
    id,
    feed: 'https://blog.example/feed.xml',
    guid: id,
    url: `https://blog.example/${id}`,
    title: `Post ${id}`,
    author: undefined,
    publishedAt,
    summary: '',
    imageUrl: undefined,
    firstSeenAt: publishedAt,
    ...extra,
  };
}

const ids = (posts: Post[]) => posts.map((p) => p.id);
/** Window mode: the first edition of a frequency, read by a subscriber with no cursor. */
const select = (candidates: Post[], opts: { previousBuiltAt?: Date; maxPosts?: number } = {}) =>
  selectPostSet({
    candidates,
    frame: { window, seqTo: 1000, previousBuiltAt: opts.previousBuiltAt },
    start: { window: true },
    topics: [],
    maxPosts: opts.maxPosts ?? 20,
  }).posts;

describe('selectPostSet, window mode', () => {
  it('starts at the window (inclusive) and ends at seqTo, not at the window end', () => {
    const chosen = select([
      post('before', '2026-03-02T08:59:59.999Z', { seq: 1 }),
      post('start', '2026-03-02T09:00:00.000Z', { seq: 2 }),
      post('middle', '2026-03-05T12:00:00.000Z', { seq: 3 }),
      post('last', '2026-03-09T08:59:59.999Z', { seq: 4 }),
      // Published and arrived after the window's end, before a late build froze seqTo: the
      // next edition starts after seqTo, so this one must carry them.
      post('end', '2026-03-09T09:00:00.000Z', { seq: 5 }),
      post('after-end', '2026-03-09T11:00:00.000Z', { seq: 1000 }),
      // Arrived after the build: the next edition's.
      post('after-build', '2026-03-09T11:30:00.000Z', { seq: 1001 }),
    ]);
    expect(ids(chosen)).toEqual(['after-end', 'end', 'last', 'middle', 'start']);
  });

  it('adds late arrivals: published before the window, first seen after the previous build', () => {
    const late = post('late', '2026-02-28T10:00:00Z', { firstSeenAt: '2026-03-03T10:00:00Z' });
    const seenBefore = post('seen-before', '2026-02-28T10:00:00Z', {
      firstSeenAt: '2026-03-01T10:00:00Z',
    });
    const seenAtBuild = post('seen-at-build', '2026-02-28T10:00:00Z', {
      firstSeenAt: previousBuiltAt.toISOString(),
    });
    expect(ids(select([late, seenBefore, seenAtBuild], { previousBuiltAt }))).toEqual(['late']);
  });

  it('has no late arrivals without a previous digest', () => {
    const late = post('late', '2026-02-28T10:00:00Z', { firstSeenAt: '2026-03-03T10:00:00Z' });
    expect(select([late])).toEqual([]);
  });

  it('keeps late arrivals within 14 days of the send time', () => {
    expect(LATE_ARRIVAL_DAYS).toBe(14);
    expect(candidatesStart(window).toISOString()).toBe('2026-02-23T09:00:00.000Z');
    // A monthly window is longer than 14 days: its candidates start at the window.
    const monthly = digestWindow('2026-03-01', { cron: '0 9 1 * *', tz: 'UTC' });
    expect(candidatesStart(monthly).toISOString()).toBe('2026-02-01T09:00:00.000Z');
    const seen = { firstSeenAt: '2026-03-04T00:00:00Z' };
    const chosen = select(
      [
        post('edge', '2026-02-23T09:00:00.000Z', seen),
        post('too-old', '2026-02-23T08:59:59.999Z', seen),
      ],
      { previousBuiltAt },
    );
    expect(ids(chosen)).toEqual(['edge']);
  });

  it('never chooses a post an earlier version marked as sent', () => {
    const chosen = select(
      [
        post('used', '2026-03-05T00:00:00Z', { digest: '2026-03-02' }),
        post('late-used', '2026-02-28T00:00:00Z', {
          firstSeenAt: '2026-03-04T00:00:00Z',
          digest: '2026-03-02',
        }),
        post('fresh', '2026-03-06T00:00:00Z'),
        post('marked', '2026-03-04T00:00:00Z', { digest: '2026-03-09' }),
      ],
      { previousBuiltAt },
    );
    // Editions never mark posts; only an earlier version's mark stands, whatever its date.
    expect(ids(chosen)).toEqual(['fresh']);
  });

  it('orders newest first and keeps at most maxPosts', () => {
    const candidates = Array.from({ length: 30 }, (_, i) =>
      post(`p${String(i).padStart(2, '0')}`, new Date(Date.UTC(2026, 2, 3, i)).toISOString()),
    );
    const chosen = select([...candidates].reverse(), { maxPosts: 5 });
    expect(ids(chosen)).toEqual(['p29', 'p28', 'p27', 'p26', 'p25']);
    // A late arrival competes by its publish date, so it loses to newer window posts.
    const late = post('late', '2026-02-27T00:00:00Z', { firstSeenAt: '2026-03-04T00:00:00Z' });
    expect(ids(select([late, ...candidates], { previousBuiltAt, maxPosts: 31 })).at(-1)).toBe(
      'late',
    );
  });

  it('skips posts with an unreadable date', () => {
    expect(select([post('bad', 'not a date')])).toEqual([]);
  });
});

describe('selectPostSet, from a cursor', () => {
  const frame = { window, seqTo: 10 };
  const at = (id: string, seq: number, extra: Partial<Post> = {}) =>
    post(id, '2026-03-05T00:00:00Z', { seq, ...extra });
  const pick = (candidates: Post[], start: number, topics: Topic[] = [], maxPosts = 20) =>
    selectPostSet({ candidates, frame, start: { seq: start }, topics, maxPosts });

  it('takes the posts arrived after the cursor up to the frozen seqTo, whatever their window', () => {
    const old = post('old-window', '2026-01-01T00:00:00Z', {
      seq: 5,
      firstSeenAt: '2026-01-02T00:00:00Z',
    });
    const set = pick([at('a', 3), at('b', 4), old, at('c', 10), at('after-build', 11)], 3);
    // Newest published first (ties by id); a: at the cursor; after-build: arrived after seqTo.
    expect(ids(set.posts)).toEqual(['b', 'c', 'old-window']);
    expect(set.beyond).toBe(0);
  });

  it('only fresh posts: published at most 14 days before they arrived', () => {
    const backlog = at('backlog', 5, { publishedAt: '2026-02-01T00:00:00Z' });
    const edge = at('edge', 6, {
      publishedAt: '2026-02-19T00:00:00Z',
      firstSeenAt: '2026-03-05T00:00:00Z',
    });
    expect(isFresh(backlog)).toBe(false);
    expect(isFresh(edge)).toBe(true);
    expect(ids(pick([backlog, edge], 0).posts)).toEqual(['edge']);
  });

  it('filters by topics (feeds or categories) and counts what is beyond maxPosts', () => {
    const go: Topic = { name: 'Go', feeds: [], categories: ['golang'] };
    const redis: Topic = { name: 'Redis', feeds: ['https://redis.example/feed'], categories: [] };
    const posts = [
      at('g1', 1, { categories: ['GoLang'], publishedAt: '2026-03-05T01:00:00Z' }),
      at('g2', 2, { categories: ['golang'], publishedAt: '2026-03-05T02:00:00Z' }),
      at('r1', 3, { feed: 'https://redis.example/feed' }),
      at('other', 4),
    ];
    expect(ids(pick(posts, 0, [go]).posts)).toEqual(['g2', 'g1']);
    expect(ids(pick(posts, 0, [go, redis]).posts).sort()).toEqual(['g1', 'g2', 'r1']);
    expect(pick(posts, 0).posts).toHaveLength(4);
    const capped = pick(posts, 0, [], 1);
    expect(capped.posts).toHaveLength(1);
    expect(capped.beyond).toBe(3);
  });
});

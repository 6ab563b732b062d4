import { describe, expect, it } from 'vitest';
import { digestWindow } from '../../src/digests/digest-window.js';
import { candidatesStart, LATE_ARRIVAL_DAYS, selectPosts } from '../../src/digests/select-posts.js';
import type { Post } from '../../src/feeds/post.js';

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
const select = (candidates: Post[], opts: { previousBuiltAt?: Date; maxPosts?: number } = {}) =>
  selectPosts({
    candidates,
    window,
    previousBuiltAt: opts.previousBuiltAt,
    maxPosts: opts.maxPosts ?? 20,
  });

describe('selectPosts', () => {
  it('takes the window with an inclusive start and an exclusive end', () => {
    const chosen = select([
      post('before', '2026-03-02T08:59:59.999Z'),
      post('start', '2026-03-02T09:00:00.000Z'),
      post('middle', '2026-03-05T12:00:00.000Z'),
      post('last', '2026-03-09T08:59:59.999Z'),
      post('end', '2026-03-09T09:00:00.000Z'),
      post('future', '2026-03-20T00:00:00.000Z'),
    ]);
    expect(ids(chosen)).toEqual(['last', 'middle', 'start']);
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

  it('never chooses a post another digest carried', () => {
    const chosen = select(
      [
        post('used', '2026-03-05T00:00:00Z', { digest: '2026-03-02' }),
        post('late-used', '2026-02-28T00:00:00Z', {
          firstSeenAt: '2026-03-04T00:00:00Z',
          digest: '2026-03-02',
        }),
        post('fresh', '2026-03-06T00:00:00Z'),
        post('ours', '2026-03-04T00:00:00Z', { digest: '2026-03-09' }),
      ],
      { previousBuiltAt },
    );
    // "ours" was marked by this very digest (a retried build or a preview after the build).
    expect(ids(chosen)).toEqual(['fresh', 'ours']);
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

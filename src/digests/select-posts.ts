import type { Post } from '../feeds/post.js';
import type { DigestWindow } from './digest-window.js';

/** How far before a window a late arrival may have been published and still go out. */
export const LATE_ARRIVAL_DAYS = 14;

const DAY_MS = 86_400_000;

/** The earliest publish time a digest looks at: fetch candidates from here to windowEnd. */
export function candidatesStart(window: DigestWindow): Date {
  return new Date(window.sendAt.getTime() - LATE_ARRIVAL_DAYS * DAY_MS);
}

/**
 * Chooses a digest's posts from its candidates (posts published in
 * [sendAt - LATE_ARRIVAL_DAYS, windowEnd)). Pure.
 *
 * A post goes out in at most one digest (README guarantee 3): posts carried by another
 * digest (`digest` set to another date) are never chosen; those marked with this digest's own
 * date stay, so a preview of a built digest (or a retried build) sees the same posts. Chosen are the posts published in the window, plus late
 * arrivals: published before the window, within the 14 days, but first seen after the previous
 * digest was built, so that digest could not have carried them. With no previous digest there
 * is nothing a post could have been late for. Newest first, at most `maxPosts`.
 */
export function selectPosts(input: {
  candidates: Post[];
  window: DigestWindow;
  previousBuiltAt?: Date;
  maxPosts: number;
}): Post[] {
  const start = input.window.windowStart.getTime();
  const end = input.window.windowEnd.getTime();
  const lateFrom = candidatesStart(input.window).getTime();
  const builtAt = input.previousBuiltAt?.getTime();

  const chosen = input.candidates.filter((post) => {
    if (post.digest && post.digest !== input.window.date) return false;
    const published = Date.parse(post.publishedAt);
    if (Number.isNaN(published) || published >= end) return false;
    if (published >= start) return true;
    if (published < lateFrom || builtAt === undefined) return false;
    const seen = Date.parse(post.firstSeenAt);
    return !Number.isNaN(seen) && seen > builtAt;
  });

  return chosen
    .map((post) => ({ post, t: Date.parse(post.publishedAt) }))
    .sort((a, b) => b.t - a.t || a.post.id.localeCompare(b.post.id))
    .slice(0, Math.max(0, input.maxPosts))
    .map(({ post }) => post);
}

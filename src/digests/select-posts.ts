import type { Post } from '../feeds/post.js';
import { inTopics, type Topic } from '../topics/topic.js';
import type { DigestWindow } from './digest-window.js';

/**
 * How long before its arrival a post may have been published and still go out: a post is
 * **fresh** when publishedAt >= firstSeenAt - LATE_ARRIVAL_DAYS (a newly added feed's old
 * backlog never goes out).
 */
export const LATE_ARRIVAL_DAYS = 14;

const DAY_MS = 86_400_000;

/** Whether `post` may ever go out: published at most LATE_ARRIVAL_DAYS before it arrived. */
export function isFresh(post: Pick<Post, 'publishedAt' | 'firstSeenAt'>): boolean {
  const published = Date.parse(post.publishedAt);
  const seen = Date.parse(post.firstSeenAt);
  if (Number.isNaN(published)) return false;
  return Number.isNaN(seen) || published >= seen - LATE_ARRIVAL_DAYS * DAY_MS;
}

/**
 * The earliest publish time a window-mode post set looks at (candidates from here on, the
 * seqTo bound deciding the end): the window's start, or LATE_ARRIVAL_DAYS before the send for late arrivals,
 * whichever is earlier (a monthly window is longer than that).
 */
export function candidatesStart(window: DigestWindow): Date {
  const late = window.sendAt.getTime() - LATE_ARRIVAL_DAYS * DAY_MS;
  return new Date(Math.min(late, window.windowStart.getTime()));
}

/** The earliest publish time of a late arrival: LATE_ARRIVAL_DAYS before the send. */
function lateStart(window: DigestWindow): number {
  return window.sendAt.getTime() - LATE_ARRIVAL_DAYS * DAY_MS;
}

/**
 * Where a subscriber's post set for an edition starts: after their cursor's seq (or the
 * edition's seqFrom), or, for the first edition of a frequency read by someone with no cursor,
 * the edition's cron window (`window`).
 */
export type SetStart = { seq: number } | { window: true };

/** What a post set is drawn from: the edition's frozen range and window. */
export interface SetFrame {
  window: DigestWindow;
  /** The post seq the edition froze at its build: later arrivals go to the next edition. */
  seqTo: number;
  /** When the edition before it of the same frequency was built (window mode's late arrivals). */
  previousBuiltAt?: Date;
}

/** A post set: newest first, at most maxPosts shown; `beyond` more are only counted. */
export interface PostSet {
  posts: Post[];
  beyond: number;
}

/**
 * A subscriber's post set for an edition (README guarantee 3), pure: from `candidates` (the
 * posts arrived after the start's seq, or published around the window), the fresh ones
 * arrived up to seqTo, in `topics`, newest first, at most `maxPosts` shown.
 *
 * Window mode (the first edition of a frequency, no cursor): the posts published since the
 * window's start that arrived up to seqTo, plus late arrivals (published before it, within
 * LATE_ARRIVAL_DAYS, first seen after the previous edition was built); a post an earlier
 * version marked as sent (`digest`) never goes out again. There is no upper bound on the
 * publish time: an edition built after its window's end (a worker down at the send time, a
 * send by hand) also takes what was published and arrived between the two, since the next
 * edition starts after this one's seqTo and would skip it (README guarantee 3).
 */
export function selectPostSet(input: {
  candidates: Post[];
  frame: SetFrame;
  start: SetStart;
  topics: readonly Topic[];
  maxPosts: number;
}): PostSet {
  const { frame, start } = input;
  const inRange =
    'seq' in start
      ? (p: Post) => p.seq !== undefined && p.seq > start.seq && p.seq <= frame.seqTo
      : (p: Post) => (p.seq ?? 0) <= frame.seqTo && !p.digest && inWindow(p, frame);
  const chosen = input.candidates.filter(
    (p) => inRange(p) && isFresh(p) && inTopics(p, input.topics),
  );
  const sorted = chosen
    .map((post) => ({ post, t: Date.parse(post.publishedAt) }))
    .sort((a, b) => b.t - a.t || a.post.id.localeCompare(b.post.id))
    .map(({ post }) => post);
  const max = Math.max(0, input.maxPosts);
  return { posts: sorted.slice(0, max), beyond: Math.max(0, sorted.length - max) };
}

/** Window mode: published since the window's start, or a late arrival the previous edition missed. */
function inWindow(post: Post, frame: SetFrame): boolean {
  const start = frame.window.windowStart.getTime();
  const published = Date.parse(post.publishedAt);
  if (Number.isNaN(published)) return false;
  if (published >= start) return true;
  const builtAt = frame.previousBuiltAt?.getTime();
  if (published < lateStart(frame.window) || builtAt === undefined) return false;
  const seen = Date.parse(post.firstSeenAt);
  return !Number.isNaN(seen) && seen > builtAt;
}

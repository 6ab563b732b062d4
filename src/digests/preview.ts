import type { Config } from '../config.js';
import { dayInWords, plural, timeInWords } from '../format-time.js';
import type { Post } from '../feeds/post.js';
import type { PostStore } from '../feeds/post-store.js';
import { fillPlaceholders, type RecipientValues } from '../render/placeholders.js';
import type { Renderer } from '../render/render-digest.js';
import { digestWindow, nextDigestDate, type DigestWindow } from './digest-window.js';
import { choosePosts } from './choose-posts.js';
import { isBuilt, type DigestStatus } from './digest.js';
import type { DigestStore } from './digest-store.js';

export interface PreviewDeps {
  postStore: Pick<PostStore, 'listPublishedBetween'> & Partial<Pick<PostStore, 'list'>>;
  renderer: Pick<Renderer, 'renderDigest'>;
  config: {
    digest: Pick<Config['digest'], 'cron' | 'tz' | 'maxPosts'>;
    site: Pick<Config['site'], 'publicUrl'>;
  };
  /** When the digest before `date` was built, if there is one (for late arrivals). */
  getPreviousBuiltAt?: (date: string) => Promise<Date | undefined>;
}

export interface Preview {
  date: string;
  window: DigestWindow;
  subject: string;
  /** With sample values (previewDigest) or placeholders (renderPreview); '' when empty. */
  html: string;
  text: string;
  posts: Post[];
  /** No posts: the digest would not be sent, and nothing was rendered. */
  empty: boolean;
  /** Why it is empty, when it is (and the store can list posts). */
  emptyReason?: EmptyReason;
}

/** What an empty preview looked at, so that the operator knows which date to try. */
export interface EmptyReason {
  windowStart: Date;
  windowEnd: Date;
  /** Posts published in the window that went out in an earlier digest. */
  alreadySent: number;
  /** The newest stored post's publication time, and the digest that would carry it. */
  newest?: { publishedAt: string; date: string };
}

/**
 * The date of the digest that carries the newest stored post (`preview --latest`): a real
 * feed's newest post is often weeks old, so next Monday's digest would be empty.
 */
export async function latestDigestDate(
  deps: Pick<PreviewDeps, 'config'> & { postStore: Pick<PostStore, 'list'> },
): Promise<string | undefined> {
  const { posts } = await deps.postStore.list({ limit: 1 });
  const newest = posts[0];
  if (!newest || Number.isNaN(Date.parse(newest.publishedAt))) return undefined;
  return nextDigestDate(new Date(newest.publishedAt), deps.config.digest);
}

/**
 * One sentence on an empty digest: what window was looked at, and what to try instead.
 * `tryDate` words the suggestion ("try `--date 2022-11-07`" on the command line, a link on the
 * web).
 */
export function describeEmpty(
  date: string,
  reason: EmptyReason | undefined,
  tz: string,
  tryDate: (date: string) => string,
): string {
  const head = `No posts for the digest of ${date}`;
  if (!reason) return `${head}: it would not be sent.`;
  const [from, to] = [reason.windowStart, reason.windowEnd].map((t) =>
    timeInWords(t, tz, 'always'),
  );
  const what =
    reason.alreadySent > 0
      ? `the ${plural(reason.alreadySent, 'post')} published between ${from} and ${to} (${tz}) went out in an earlier digest`
      : `no post was published between ${from} and ${to} (${tz})`;
  if (!reason.newest) return `${head}: ${what}, and no posts are stored yet (run an ingest first).`;
  const suggestion = reason.newest.date === date ? '' : ` — ${tryDate(reason.newest.date)}`;
  return `${head}: ${what}; the newest stored post is from ${dayInWords(reason.newest.publishedAt, tz)}${suggestion}.`;
}

/** The footer's words where no subscriber is known (previews, a test send to another address). */
export const SAMPLE_DELIVERY = 'as each reader chose (how often, at what time, on which topics)';

/**
 * Stand-ins for the per-recipient parts (previews and test sends): no real subscriber's token;
 * the address is the tester's when there is one.
 */
export function sampleRecipient(publicUrl: string, email = 'reader@example.com'): RecipientValues {
  return {
    unsubscribeUrl: `${publicUrl}/unsubscribe?token=sample`,
    preferencesUrl: `${publicUrl}/preferences?token=sample`,
    email,
    delivery: SAMPLE_DELIVERY,
    frequencyUrl: `${publicUrl}/frequency?token=sample`,
  };
}

/**
 * The digest of `date` as it would be built from the posts stored now, without building,
 * storing or sending it: the same window, selection and renderer as the build. Its HTML and
 * text carry sample per-recipient values.
 */
export async function previewDigest(deps: PreviewDeps, date: string): Promise<Preview> {
  const p = await renderPreview(deps, date);
  if (p.empty) return p;
  const sample = sampleRecipient(deps.config.site.publicUrl);
  return { ...p, html: fillPlaceholders(p.html, sample), text: fillPlaceholders(p.text, sample) };
}

/** previewDigest with the placeholders left in, for a caller that fills its own values. */
export async function renderPreview(deps: PreviewDeps, date: string): Promise<Preview> {
  const window = digestWindow(date, deps.config.digest);
  const posts = await choosePosts(
    {
      postStore: deps.postStore,
      getPreviousBuiltAt: deps.getPreviousBuiltAt,
      maxPosts: deps.config.digest.maxPosts,
    },
    window,
  );
  if (posts.length === 0) {
    const emptyReason = await explainEmpty(deps, window);
    return { date, window, subject: '', html: '', text: '', posts, empty: true, emptyReason };
  }

  const rendered = await deps.renderer.renderDigest({ date, posts, window });
  return { date, window, ...rendered, posts, empty: false };
}

export interface DigestContentDeps extends PreviewDeps {
  digests: Pick<DigestStore, 'get'>;
  posts: Pick<PostStore, 'getMany'>;
}

/**
 * What a preview of `date` shows, the CLI's and the web's alike: the stored digest of a date
 * that has been built (`stored: true`, its posts as carried), or, for a date not built yet
 * (or held, or skipped), a fresh render from the posts stored now. HTML and text keep their
 * placeholders either way: the caller fills them for whoever looks (a test send's recipient).
 */
export async function digestContent(deps: DigestContentDeps, date: string) {
  const stored = await deps.digests.get(date);
  if (stored && isBuilt(stored)) {
    return {
      subject: stored.subject,
      html: stored.html,
      text: stored.text,
      posts: await deps.posts.getMany(stored.postIds),
      empty: false,
      stored: true,
      builtAt: stored.builtAt as string | undefined,
      status: stored.status as DigestStatus | undefined,
    };
  }
  const p = await renderPreview(deps, date);
  return { ...p, stored: false, builtAt: undefined, status: stored?.status };
}

async function explainEmpty(
  deps: PreviewDeps,
  window: DigestWindow,
): Promise<EmptyReason | undefined> {
  if (!deps.postStore.list) return undefined;
  const [inWindow, { posts }] = await Promise.all([
    deps.postStore.listPublishedBetween(window.windowStart.getTime(), window.windowEnd.getTime()),
    deps.postStore.list({ limit: 1 }),
  ]);
  const alreadySent = inWindow.length;
  const newest = posts[0];
  const schedule = deps.config.digest;
  return {
    windowStart: window.windowStart,
    windowEnd: window.windowEnd,
    alreadySent,
    newest:
      newest && !Number.isNaN(Date.parse(newest.publishedAt))
        ? {
            publishedAt: newest.publishedAt,
            date: nextDigestDate(new Date(newest.publishedAt), schedule),
          }
        : undefined,
  };
}

import type { Config } from '../config.js';
import { dayInWords, plural, timeInWords } from '../format-time.js';
import type { Post } from '../feeds/post.js';
import type { PostStore } from '../feeds/post-store.js';
import { fillPlaceholders, type RecipientValues } from '../render/placeholders.js';
import type { Renderer } from '../render/render-digest.js';
import type { Topic } from '../topics/topic.js';
import { nextDigestDate, type DigestWindow } from './digest-window.js';
import { choosePosts, newEditionFrame } from './choose-posts.js';
import { isBuilt, type DigestStatus } from './digest.js';
import type { DigestStore, PreviousEdition } from './digest-store.js';
import { parseEdition } from './edition.js';
import { editionWindow, frequencySchedule, type EditionWindow } from './edition-window.js';
import { EMPTY_VARIANT, type Variants } from './variants.js';

export interface PreviewDeps {
  postStore: Pick<PostStore, 'listPublishedBetween' | 'listArrivedBetween' | 'currentSeq'> &
    Partial<Pick<PostStore, 'list'>>;
  renderer: Pick<Renderer, 'renderDigest'>;
  config: {
    digest: Pick<Config['digest'], 'crons' | 'tz' | 'maxPosts' | 'defaultFrequency'>;
    site: Pick<Config['site'], 'publicUrl'>;
  };
  /** What precedes the edition (the digest store's previousBuilt): its seqTo, its builtAt. */
  previousBuilt?: (w: EditionWindow) => Promise<PreviousEdition | undefined>;
  /** The definitions of the named topics (the topic store); absent: topics filter nothing. */
  resolveTopics?: (names: readonly string[]) => Promise<Topic[]>;
}

/** Which variant to preview: an edition (or a bare date of `frequency`) and a reader's topics. */
export interface PreviewOptions {
  frequency?: Config['digest']['defaultFrequency'];
  topics?: readonly string[];
}

export interface Preview {
  /** The edition id. */
  id: string;
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

/** The edition a preview names: an id, or a bare date of `frequency` (default: the site's). */
export function previewEdition(
  config: PreviewDeps['config'],
  s: string,
  opts: PreviewOptions = {},
): EditionWindow {
  const e = parseEdition(s, opts.frequency ?? config.digest.defaultFrequency);
  return editionWindow(e, config.digest);
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
  const d = deps.config.digest;
  return nextDigestDate(new Date(newest.publishedAt), frequencySchedule(d, d.defaultFrequency));
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
 * The edition `date` (an id, or a bare date of opts.frequency) as it would be built from the
 * posts stored now, for a reader with no cursor and `opts.topics`, without building, storing
 * or sending it: the same range, selection and renderer as the build. Its HTML and text carry
 * sample per-recipient values.
 */
export async function previewDigest(
  deps: PreviewDeps,
  date: string,
  opts: PreviewOptions = {},
): Promise<Preview> {
  const p = await renderPreview(deps, date, opts);
  if (p.empty) return p;
  const sample = sampleRecipient(deps.config.site.publicUrl);
  return { ...p, html: fillPlaceholders(p.html, sample), text: fillPlaceholders(p.text, sample) };
}

/** previewDigest with the placeholders left in, for a caller that fills its own values. */
export async function renderPreview(
  deps: PreviewDeps,
  date: string,
  opts: PreviewOptions = {},
): Promise<Preview> {
  const window = previewEdition(deps.config, date, opts);
  const prev = await deps.previousBuilt?.(window);
  const topics = opts.topics?.length ? ((await deps.resolveTopics?.(opts.topics)) ?? []) : [];
  const { frame, start } = newEditionFrame(window, prev, await deps.postStore.currentSeq());
  const { posts, beyond } = await choosePosts(
    { postStore: deps.postStore, maxPosts: deps.config.digest.maxPosts },
    frame,
    start,
    topics,
  );
  const head = { id: window.id, date: window.date, window };
  if (posts.length === 0) {
    const emptyReason = await explainEmpty(deps, window);
    return { ...head, subject: '', html: '', text: '', posts, empty: true, emptyReason };
  }
  const rendered = await deps.renderer.renderDigest({
    date: window.date,
    frequency: window.frequency,
    posts,
    window: frame.window,
    beyond,
  });
  return { ...head, ...rendered, posts, empty: false };
}

export interface DigestContentDeps extends PreviewDeps {
  digests: Pick<DigestStore, 'get' | 'getSummary'>;
  posts: Pick<PostStore, 'getMany'>;
  /** A built edition's variants (rendered once, stored): any reader's topics. */
  variants?: Pick<Variants, 'variantFor' | 'content'>;
}

/**
 * What a preview of an edition shows, the CLI's and the web's alike: once built
 * (`stored: true`), the variant a reader with no cursor and `opts.topics` gets (the main one
 * without topics; another is rendered once and stored, as the send path would); for an
 * edition not built yet (or held, or skipped), a fresh render from the posts stored now.
 * HTML and text keep their placeholders either way: the caller fills them for whoever looks
 * (a test send's recipient).
 */
export async function digestContent(
  deps: DigestContentDeps,
  date: string,
  opts: PreviewOptions = {},
) {
  const window = previewEdition(deps.config, date, opts);
  const summary = await deps.digests.getSummary(window.id);
  if (summary && isBuilt(summary)) {
    const built = {
      id: window.id,
      date: window.date,
      stored: true,
      builtAt: summary.builtAt as string | undefined,
      status: summary.status as DigestStatus | undefined,
    };
    if (opts.topics?.length && deps.variants && summary.seqTo !== undefined) {
      const v = await deps.variants.variantFor(summary, undefined, opts.topics);
      if (v.id === EMPTY_VARIANT)
        return { ...built, subject: '', html: '', text: '', posts: [] as Post[], empty: true };
      const c = await deps.variants.content(summary, v);
      return { ...built, ...c, posts: await deps.posts.getMany(c.postIds), empty: false };
    }
    const stored = await deps.digests.get(window.id);
    return {
      ...built,
      subject: summary.subject,
      html: stored?.html ?? '',
      text: stored?.text ?? '',
      posts: await deps.posts.getMany(summary.postIds),
      empty: false,
    };
  }
  const p = await renderPreview(deps, date, opts);
  return { ...p, stored: false, builtAt: undefined, status: summary?.status };
}

async function explainEmpty(
  deps: PreviewDeps,
  window: EditionWindow,
): Promise<EmptyReason | undefined> {
  if (!deps.postStore.list) return undefined;
  const [inWindow, { posts }] = await Promise.all([
    deps.postStore.listPublishedBetween(window.windowStart.getTime(), window.windowEnd.getTime()),
    deps.postStore.list({ limit: 1 }),
  ]);
  const alreadySent = inWindow.length;
  const newest = posts[0];
  const d = deps.config.digest;
  const schedule = frequencySchedule(d, d.defaultFrequency);
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

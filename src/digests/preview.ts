import type { Config } from '../config.js';
import type { Post } from '../feeds/post.js';
import type { PostStore } from '../feeds/post-store.js';
import { fillPlaceholders, type RecipientValues } from '../render/placeholders.js';
import type { Renderer } from '../render/render-digest.js';
import { digestWindow, type DigestWindow } from './digest-window.js';
import { choosePosts } from './choose-posts.js';
import { isBuilt, type DigestStatus } from './digest.js';
import type { DigestStore } from './digest-store.js';

export interface PreviewDeps {
  postStore: Pick<PostStore, 'listPublishedBetween'>;
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
}

/**
 * Stand-ins for the per-recipient parts (previews and test sends): no real subscriber's token;
 * the address is the tester's when there is one.
 */
export function sampleRecipient(publicUrl: string, email = 'reader@example.com'): RecipientValues {
  return {
    unsubscribeUrl: `${publicUrl}/unsubscribe?token=sample`,
    preferencesUrl: `${publicUrl}/preferences?token=sample`,
    email,
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
  if (posts.length === 0)
    return { date, window, subject: '', html: '', text: '', posts, empty: true };

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

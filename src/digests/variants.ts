import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Post } from '../feeds/post.js';
import type { PostStore } from '../feeds/post-store.js';
import type { Renderer } from '../render/render-digest.js';
import type { Topic } from '../topics/topic.js';
import { choosePosts, setStart } from './choose-posts.js';
import type { DigestSummary } from './digest-store.js';
import type { PostSet, SetFrame } from './select-posts.js';
import type { VariantContent, VariantStore } from './variant-store.js';

/** The topic definitions (the topic store); absent, topics filter nothing. */
export interface TopicSource {
  list(): Promise<Topic[]>;
}

/** The variant id of an empty set: never rendered, never sent (DIGEST_MIN_POSTS is at least 1). */
export const EMPTY_VARIANT = 'empty';

/**
 * Where the public archive's copy of an edition is stored, beside its variants (a variant id is
 * a 16-character hash): the main variant's posts with a public footer, never sent.
 */
export const ARCHIVE_VARIANT = 'archive';

/** A post set with its variant id (a hash of its post ids and the count beyond them). */
export interface Variant {
  id: string;
  set: PostSet;
}

/** How long a render lock lives: a renderer that dies frees it after this. */
const LOCK_MS = 60_000;
/** How often a process waiting for another's render looks again. */
const POLL_MS = 50;
/** Post sets and topic definitions kept per process. */
const CACHE_SIZE = 500;
const TOPICS_TTL_MS = 30_000;

export interface VariantDeps {
  store: VariantStore;
  posts: Pick<PostStore, 'listPublishedBetween' | 'listArrivedBetween'>;
  renderer: Pick<Renderer, 'renderDigest'>;
  topics?: TopicSource;
  maxPosts: number;
  log: Logger;
  now?: () => number;
}

/** The frozen frame of a built edition, as the post sets read it. */
export function frameOf(d: DigestSummary): SetFrame {
  return {
    window: {
      date: d.date,
      sendAt: new Date(d.sendAt),
      // After skipped first editions, window mode starts where the oldest of them did.
      windowStart: new Date(d.windowFrom ?? d.windowStart),
      windowEnd: new Date(d.windowEnd),
    },
    seqTo: d.seqTo ?? 0,
    ...(d.previousBuiltAt ? { previousBuiltAt: new Date(d.previousBuiltAt) } : {}),
  };
}

export function variantId(set: PostSet): string {
  if (set.posts.length === 0) return EMPTY_VARIANT;
  const h = createHash('sha256').update(set.posts.map((p) => p.id).join(',') + `+${set.beyond}`);
  return h.digest('base64url').slice(0, 16);
}

/**
 * Variants: a subscriber's post set for an edition is a function of (cursor or seqFrom,
 * topics); its variant is rendered once per edition however many recipients share it, under
 * a lock so concurrent workers render it once (README guarantee 5). Sets and topic
 * definitions are cached per process, bounded.
 */
export function createVariants(deps: VariantDeps) {
  const sets = new Map<string, Promise<Variant>>();
  const owner = randomBytes(6).toString('hex');
  const clock = deps.now ?? Date.now;
  const resolveTopics = topicResolver(deps.topics, clock);

  /**
   * The post set and variant of a reader with `cursor` (absent: the edition's start, or
   * `since` when that is earlier) and `topics`.
   */
  function variantFor(
    edition: DigestSummary,
    cursor: number | undefined,
    topicNames: readonly string[],
    since?: number,
  ): Promise<Variant> {
    const from =
      cursor ??
      (since !== undefined && edition.seqFrom !== undefined
        ? Math.min(since, edition.seqFrom)
        : undefined);
    const start = setStart(from, edition.seqFrom);
    const key = `${edition.id}|${'seq' in start ? start.seq : 'w'}|${[...topicNames].sort().join(',')}`;
    let v = sets.get(key);
    if (!v) {
      v = (async () => {
        const topics = await resolveTopics(topicNames);
        const set = await choosePosts(
          { postStore: deps.posts, maxPosts: deps.maxPosts },
          frameOf(edition),
          start,
          topics,
        );
        return { id: variantId(set), set };
      })();
      v.catch(() => sets.delete(key));
      sets.set(key, v);
      if (sets.size > CACHE_SIZE) sets.delete(sets.keys().next().value!);
    }
    return v;
  }

  /**
   * The variant's content, rendering it if no process has: the render lock's holder runs MJML
   * and stores it (counted in the edition's `renders`); the others wait for it. `log`: where
   * the render says what it cut for Gmail (the build's log, for the main variant).
   */
  function content(
    edition: DigestSummary,
    v: Variant,
    log: Logger = deps.log,
  ): Promise<VariantContent> {
    if (v.id === EMPTY_VARIANT)
      throw new Error(`edition ${edition.id}: an empty set has no content`);
    const render = () => renderOnce(deps.renderer, edition, v, log);
    return renderStored(deps.store, owner, edition.id, v.id, render, log);
  }

  /**
   * The public archive's copy of a built edition (README guarantee 5): `posts`, its main
   * variant's, with a public footer and every post in full (a browser clips nothing). Rendered
   * once per edition, when first asked for, and stored and counted in `renders` as a variant
   * is, so every process serves that one render.
   */
  function archive(edition: DigestSummary, posts: Post[]): Promise<VariantContent> {
    const render = () => renderArchive(deps.renderer, edition, posts);
    return renderStored(deps.store, owner, edition.id, ARCHIVE_VARIANT, render, deps.log);
  }

  return {
    variantFor,
    content,
    archive,
    /** A stored variant's content, without rendering (undefined if none was stored). */
    stored: (edition: string, variant: string) => deps.store.get(edition, variant),
    resolveTopics,
  };
}

export type Variants = ReturnType<typeof createVariants>;

/**
 * The definitions of the named topics that exist (none left: every post), the list cached
 * per process for TOPICS_TTL_MS.
 */
function topicResolver(
  source: TopicSource | undefined,
  clock: () => number,
): (names: readonly string[]) => Promise<Topic[]> {
  let topicCache: { at: number; list: Promise<Topic[]> } | undefined;
  return async (names) => {
    if (names.length === 0 || !source) return [];
    if (!topicCache || clock() - topicCache.at > TOPICS_TTL_MS) {
      const list = source.list();
      topicCache = { at: clock(), list };
      list.catch(() => (topicCache = undefined));
    }
    const all = await topicCache.list;
    return all.filter((t) => names.includes(t.name));
  };
}

/**
 * A variant's stored content, or `render` run and stored if no process has: the render lock's
 * holder runs it and stores the result once (counted in the edition's `renders`); the others
 * wait for it (README guarantee 5). `content` and `archive` of createVariants.
 */
async function renderStored(
  store: VariantStore,
  owner: string,
  edition: string,
  variant: string,
  render: () => Promise<VariantContent>,
  log: Logger,
): Promise<VariantContent> {
  for (;;) {
    const stored = await store.get(edition, variant);
    if (stored) return stored;
    if (await store.lock(edition, variant, owner, LOCK_MS)) {
      try {
        const c = await render();
        if (await store.store(edition, variant, c))
          log.info({ digest: edition, variant, posts: c.postIds.length }, 'variant rendered');
        return (await store.get(edition, variant)) ?? c;
      } finally {
        await store.unlock(edition, variant, owner);
      }
    }
    while (await store.locked(edition, variant)) {
      if (await store.exists(edition, variant)) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/** The archive's copy of `edition` (createVariants' `archive`): MJML, the lock held. */
async function renderArchive(
  renderer: VariantDeps['renderer'],
  edition: DigestSummary,
  posts: Post[],
): Promise<VariantContent> {
  const r = await renderer.renderDigest({
    date: edition.date,
    frequency: edition.frequency,
    posts,
    window: frameOf(edition).window,
    archive: true,
  });
  return {
    subject: r.subject,
    html: r.html,
    text: r.text,
    postIds: posts.map((p) => p.id),
    beyond: 0,
  };
}

/** Runs MJML for one variant (the lock is held) and says what it cut for Gmail. */
async function renderOnce(
  renderer: VariantDeps['renderer'],
  edition: DigestSummary,
  v: Variant,
  log: Logger,
): Promise<VariantContent> {
  const rendered = await renderer.renderDigest({
    date: edition.date,
    frequency: edition.frequency,
    posts: v.set.posts,
    window: frameOf(edition).window,
    beyond: v.set.beyond,
  });
  // Too large for Gmail as it was: say what was cut (README guarantee 12).
  if (rendered.fit)
    log.warn(
      { digest: edition.id, variant: v.id, ...rendered.fit },
      `digest HTML was ${rendered.fit.bytesBefore} bytes, over Gmail's clipping size: summaries ` +
        `cut to ${rendered.fit.summariesCutTo} characters, ${rendered.fit.full} posts in full, ` +
        `${rendered.fit.listed} by title, ${rendered.fit.notShown} not shown (counted, with a link to the archive)`,
    );
  return {
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    postIds: v.set.posts.map((p) => p.id),
    beyond: v.set.beyond,
  };
}

import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
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
    return contentOf(deps, owner, edition, v, log);
  }

  return {
    variantFor,
    content,
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

/** `content` of createVariants: the stored content, or the render lock's holder renders it. */
async function contentOf(
  deps: VariantDeps,
  owner: string,
  edition: DigestSummary,
  v: Variant,
  log: Logger,
): Promise<VariantContent> {
  if (v.id === EMPTY_VARIANT) throw new Error(`edition ${edition.id}: an empty set has no content`);
  for (;;) {
    const stored = await deps.store.get(edition.id, v.id);
    if (stored) return stored;
    if (await deps.store.lock(edition.id, v.id, owner, LOCK_MS)) {
      try {
        const c = await renderOnce(deps.renderer, edition, v, log);
        if (await deps.store.store(edition.id, v.id, c))
          log.info(
            { digest: edition.id, variant: v.id, posts: c.postIds.length },
            'variant rendered',
          );
        return (await deps.store.get(edition.id, v.id)) ?? c;
      } finally {
        await deps.store.unlock(edition.id, v.id, owner);
      }
    }
    while (await deps.store.locked(edition.id, v.id)) {
      if (await deps.store.exists(edition.id, v.id)) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
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

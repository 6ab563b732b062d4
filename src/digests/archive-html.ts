import type { PostStore } from '../feeds/post-store.js';
import type { Renderer } from '../render/render-digest.js';
import type { DigestStore } from './digest-store.js';
import { isDigestDate } from './digest-window.js';
import { isEditionId } from './edition.js';
import type { EditionWindow } from './edition-window.js';

/** How many rendered archive pages are kept (per edition and build). */
const CACHE_SIZE = 20;

/**
 * A digest's HTML for the public archive ("view in browser"): only digests that went out,
 * rendered from the posts they carried with a public footer (a subscribe link) instead of
 * anyone's personal one. Kept per edition and build, so a busy archive runs MJML once.
 */
export function createArchiveHtml(deps: {
  digests: Pick<DigestStore, 'get'>;
  posts: Pick<PostStore, 'getMany'>;
  renderer: Pick<Renderer, 'renderDigest'>;
  /** An edition id, or a bare date of the default frequency, placed in time. */
  editionOf: (s: string) => EditionWindow;
}) {
  const cache = new Map<string, string>();
  return async function archiveHtml(id: string): Promise<string | undefined> {
    if (!isDigestDate(id) && !isEditionId(id)) return undefined;
    const w = deps.editionOf(id);
    const d = await deps.digests.get(w.id);
    if (!d || !d.html || !['sending', 'sent', 'sent_with_failures'].includes(d.status))
      return undefined;
    const key = `${w.id}:${d.builtAt}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const posts = await deps.posts.getMany(d.postIds);
    const rendered = await deps.renderer.renderDigest({
      date: w.date,
      frequency: w.frequency,
      posts,
      window: w,
      archive: true,
    });
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, rendered.html);
    return rendered.html;
  };
}

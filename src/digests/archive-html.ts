import type { PostStore } from '../feeds/post-store.js';
import type { DigestStore } from './digest-store.js';
import { isDigestDate } from './digest-window.js';
import { isEditionId } from './edition.js';
import type { EditionWindow } from './edition-window.js';
import type { Variants } from './variants.js';

/** How many archive pages are kept in this process (per edition and build). */
const CACHE_SIZE = 20;

/** Statuses of an edition that went out (or is going out): the archive shows only those. */
export const WENT_OUT: ReadonlySet<string> = new Set(['sending', 'sent', 'sent_with_failures']);

/**
 * A digest's HTML for the public archive ("view in browser"): only digests that went out,
 * the posts of their main variant with a public footer (a subscribe link) instead of anyone's
 * personal one. That copy is rendered once per edition through the variants' counted path and
 * stored (README guarantee 5); this process also keeps the last few pages it served.
 */
export function createArchiveHtml(deps: {
  digests: Pick<DigestStore, 'getSummary'>;
  posts: Pick<PostStore, 'getMany'>;
  variants: Pick<Variants, 'archive'>;
  /** An edition id, or a bare date of the default frequency, placed in time. */
  editionOf: (s: string) => EditionWindow;
}) {
  const cache = new Map<string, string>();
  return async function archiveHtml(id: string): Promise<string | undefined> {
    if (!isDigestDate(id) && !isEditionId(id)) return undefined;
    const w = deps.editionOf(id);
    const d = await deps.digests.getSummary(w.id);
    if (!d?.builtAt || !WENT_OUT.has(d.status)) return undefined;
    const key = `${w.id}:${d.builtAt}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const { html } = await deps.variants.archive(d, await deps.posts.getMany(d.postIds));
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, html);
    return html;
  };
}

import type { DigestSummary } from '../digests/digest-store.js';
import type { Variant, Variants } from '../digests/variants.js';
import type { PostStore } from '../feeds/post-store.js';
import type { DeliveryConfig } from '../subscribers/describe-delivery.js';
import type { SendInfo } from '../subscribers/subscriber-store.js';
import type { EditionCache } from './edition-cache.js';
import type { ClaimEntry } from './ledger.js';

export interface ClaimEntryDeps {
  /** The arrival seq at an instant (a reader's confirmation). */
  posts: Pick<PostStore, 'seqAt'>;
  /** Each recipient's post set and its content, rendered once per distinct set. */
  variants: Pick<Variants, 'variantFor'>;
  /**
   * DIGEST_DEFAULT_FREQUENCY (the frequency of a subscriber who chose none, read at send time)
   * and DIGEST_MIN_POSTS (at least 1: a smaller set is not sent, its posts roll over).
   */
  digest: Pick<DeliveryConfig, 'defaultFrequency'> & { minPosts: number };
  cache: Pick<EditionCache, 'message'>;
}

/**
 * Where a rolled-over reader with no cursor stands, so the posts roll over to their next
 * edition (whose seqFrom is later): the start their set was read from (the edition's seqFrom,
 * or in window mode just before its first post). Nothing with a cursor (it stays).
 */
function rollFrom(d: DigestSummary, cursor: number | undefined, v: Variant, since?: number) {
  if (cursor !== undefined || v.set.posts.length === 0) return {};
  if (d.seqFrom !== undefined) return { rollCursor: Math.min(d.seqFrom, since ?? d.seqFrom) };
  return { rollCursor: Math.min(...v.set.posts.map((p) => p.seq ?? 0)) - 1 };
}

/**
 * What each recipient's ledger claim asks for (README guarantees 2 to 4): their eligibility
 * now, and their variant from their cursor and topics; a set under DIGEST_MIN_POSTS is rolled.
 */
export function createClaimEntries(deps: ClaimEntryDeps) {
  /**
   * For a reader with no cursor (never sent anything) who confirmed before the previous
   * edition of this frequency was built: the arrival seq at their confirmation, so that the
   * posts since then reach them though the edition's seqFrom is later (they changed
   * frequency, paused, or their zone moved past a send). Undefined otherwise: the edition's
   * seqFrom is their start, as for everyone new.
   */
  async function sinceConfirmed(d: DigestSummary, s: SendInfo): Promise<number | undefined> {
    if (s.cursor !== undefined || d.seqFrom === undefined || !d.previousBuiltAt) return undefined;
    if (s.confirmedAtMs === undefined || s.confirmedAtMs >= Date.parse(d.previousBuiltAt))
      return undefined;
    return deps.posts.seqAt(s.confirmedAtMs);
  }

  async function entryFor(d: DigestSummary, id: number, s: SendInfo | undefined) {
    const eligible =
      s !== undefined &&
      s.status === 'confirmed' &&
      !s.paused &&
      (s.frequency ?? deps.digest.defaultFrequency) === d.frequency;
    if (!eligible) return { id, eligible, variant: '' };
    // An edition of an earlier version has one content and no cursor range.
    if (d.seqTo === undefined) return { id, eligible, variant: d.variant! };
    const since = await sinceConfirmed(d, s);
    const v = await deps.variants.variantFor(d, s.cursor, s.topics, since);
    const count = v.set.posts.length + v.set.beyond;
    if (count === 0 || count < deps.digest.minPosts) {
      const rolled = { rolled: count, ...rollFrom(d, s.cursor, v) };
      return { id, eligible, cursor: s.cursor, variant: v.id, ...rolled };
    }
    // Rendered before the claim: a claim whose content cannot be made would wait a lease.
    await deps.cache.message(d, v.id, v);
    return { id, eligible, cursor: s.cursor, variant: v.id };
  }

  /** The claim entry of each of `ids`, whose send info is `infos` (in the same order). */
  return (
    d: DigestSummary,
    infos: (SendInfo | undefined)[],
    ids: number[],
  ): Promise<ClaimEntry[]> => Promise.all(ids.map((id, i) => entryFor(d, id, infos[i])));
}

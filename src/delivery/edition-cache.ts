import { isBuilt } from '../digests/digest.js';
import type { DigestStore, DigestSummary } from '../digests/digest-store.js';
import type { Variant, Variants } from '../digests/variants.js';
import { prepareDigest, type DigestMailConfig } from '../mail/digest-copy.js';
import { AppError } from '../errors.js';

/** A variant's message, prepared once for every recipient of it (see prepareDigestMessage). */
export type Prepared = ReturnType<typeof prepareDigest>;

/** Editions kept per process (editions never change once built). */
const CACHE_EDITIONS = 8;
/**
 * Prepared variants kept per process. Several frequencies with topics put tens of variants in
 * flight at once (3 editions × 16 topic choices = 48 in the bench's scale scenario): a bound
 * below that evicts each one just before its next batch needs it, and every batch reads and
 * prepares its variants again. A prepared variant is about one message's size (~50 KB), so
 * this many cost ~13 MB at most.
 */
const CACHE_VARIANTS = 256;

/** A send job for a digest that is not built: the worker fails the job for good. */
export class DigestNotSendableError extends AppError {
  constructor(date: string) {
    super('DIGEST_NOT_SENDABLE', `digest ${date} is not built or has no content`, 500);
    this.name = 'DigestNotSendableError';
  }
}

/**
 * `make()` once per key while it is kept (a failed one is forgotten); past `max`, the least
 * recently used out (a Map iterates in insertion order: a hit moves its key to the end).
 */
function remember<T>(
  map: Map<string, Promise<T>>,
  key: string,
  max: number,
  make: () => Promise<T>,
) {
  let p = map.get(key);
  if (p) {
    map.delete(key);
    map.set(key, p);
    return p;
  }
  const made = make();
  p = made;
  made.catch(() => {
    if (map.get(key) === made) map.delete(key);
  });
  map.set(key, made);
  if (map.size > max) map.delete(map.keys().next().value!);
  return p;
}

/**
 * What a send process reads once and keeps: each built edition (its frozen range and main
 * variant) and each variant's message prepared for many recipients (no MJML, no template
 * engine per recipient).
 */
export function createEditionCache(
  deps: Pick<DigestMailConfig, 'mail' | 'site'> & {
    digests: Pick<DigestStore, 'get' | 'getSummary'>;
    variants: Pick<Variants, 'content' | 'stored'>;
    /** How many editions and prepared variants are kept (tests make them small). */
    limits?: { editions?: number; variants?: number };
  },
) {
  const maxEditions = deps.limits?.editions ?? CACHE_EDITIONS;
  const maxVariants = deps.limits?.variants ?? CACHE_VARIANTS;
  const editions = new Map<string, Promise<DigestSummary | undefined>>();
  const prepared = new Map<string, Promise<Prepared>>();
  return {
    /** The built edition `id`; DigestNotSendableError if it is not built (not kept then). */
    async edition(id: string): Promise<DigestSummary> {
      const d = await remember(editions, id, maxEditions, async () => {
        const s = await deps.digests.getSummary(id);
        return s && isBuilt(s) && s.variant ? s : undefined;
      });
      if (!d) {
        editions.delete(id);
        throw new DigestNotSendableError(id);
      }
      return d;
    },

    /**
     * A variant's message prepared once per process: its content read (or, given the set
     * `v`, rendered under the variant's lock if no process has) once, not per recipient.
     * 'legacy': the content an earlier version stored on the edition.
     */
    message(d: DigestSummary, variant: string, v?: Variant): Promise<Prepared> {
      return remember(prepared, `${d.id}|${variant}`, maxVariants, async () => {
        const c =
          variant === 'legacy'
            ? await deps.digests.get(d.id)
            : v
              ? await deps.variants.content(d, v)
              : await deps.variants.stored(d.id, variant);
        if (!c?.html) throw new Error(`edition ${d.id}: variant ${variant} has no stored content`);
        return prepareDigest(c, deps);
      });
    },
  };
}

export type EditionCache = ReturnType<typeof createEditionCache>;

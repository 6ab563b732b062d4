import { WENT_OUT } from './archive-html.js';
import type { DigestListItem, DigestService } from './digest-service.js';
import { editionId, type Edition } from './edition.js';
import { FREQUENCIES, type Frequency } from './frequency.js';

/** Editions the archive lists, per frequency at most. */
export const ARCHIVE_LIMIT = 100;

/** One edition of the public archive: what its list, its page and its Atom entry show. */
export interface ArchiveEntry {
  edition: Edition;
  /** `weekly/2026-12-07`. */
  id: string;
  subject: string;
  /** ISO instants. */
  sendAt: string;
  builtAt: string;
  posts: number;
}

/** The public path of an edition's archive page. */
export function archivePath(e: Edition): string {
  return `/digests/${editionId(e)}`;
}

/**
 * The public archive over the digest service's list and get: editions that went out, grouped
 * by frequency, and one edition's HTML with a public footer. Nothing per recipient.
 */
export function createArchive(deps: {
  digests: Pick<DigestService, 'list' | 'archiveHtml'>;
  /** DIGEST_FREQUENCIES: each gets its list, even while empty. */
  offered: readonly Frequency[];
}) {
  /** The edition a listed digest is (earlier versions' bare dates are weekly editions). */
  const editionOf = (d: DigestListItem): Edition => ({ frequency: d.frequency, date: d.date });

  return {
    /**
     * Per frequency (the offered ones, then any other with editions), its editions that went
     * out, newest first.
     */
    async lists(): Promise<{ frequency: Frequency; entries: ArchiveEntry[] }[]> {
      const all = (await deps.digests.list(ARCHIVE_LIMIT))
        .filter((d) => WENT_OUT.has(d.status) && d.builtAt)
        .map((d): ArchiveEntry => {
          const edition = editionOf(d);
          return {
            edition,
            id: editionId(edition),
            subject: d.subject,
            sendAt: d.sendAt,
            builtAt: d.builtAt!,
            posts: d.posts,
          };
        });
      return FREQUENCIES.filter(
        (f) => deps.offered.includes(f) || all.some((e) => e.edition.frequency === f),
      ).map((frequency) => ({
        frequency,
        entries: all.filter((e) => e.edition.frequency === frequency),
      }));
    },

    /** An edition's archive HTML, or undefined when it did not go out. */
    async html(e: Edition): Promise<string | undefined> {
      return deps.digests.archiveHtml(editionId(e));
    },
  };
}

export type Archive = ReturnType<typeof createArchive>;

import { generateAtomFeed } from 'feedsmith';
import { plural } from '../format-time.js';
import { archivePath, type ArchiveEntry } from './archive.js';
import { dateInWords } from './date-words.js';
import type { Frequency } from './frequency.js';

/** Newest editions in the feed: enough for a reader that polls weekly to miss none. */
export const ATOM_ENTRIES = 50;

/**
 * Characters XML 1.0 does not allow (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/F):
 * feedsmith escapes markup but writes these as they are, which a strict reader refuses.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/g;
const xmlText = (s: string) => s.replace(NOT_XML, '');

const TITLE: Record<Frequency, string> = { daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly' };

/** "Weekly digest of Monday 7 December 2026: 3 posts." */
export function editionWords(e: ArchiveEntry): string {
  return `${TITLE[e.edition.frequency]} digest of ${dateInWords(e.edition.date)}: ${plural(e.posts, 'post')}.`;
}

/**
 * The archive as an Atom 1.0 feed (RFC 4287), so the digest can be followed in a feed reader:
 * one entry per edition that went out, newest first, each linking to its archive page. Entry
 * ids are the pages' URLs (stable: an edition's page never moves); `updated` is when the
 * edition was built (its content is frozen then). feedsmith writes and escapes the XML.
 */
export function archiveAtom(input: {
  site: { name: string; publicUrl: string };
  entries: ArchiveEntry[];
  /** The feed's `updated` when it has no entry yet. */
  now: Date;
}): string {
  const base = input.site.publicUrl.replace(/\/+$/, '');
  const entries = [...input.entries]
    .sort((a, b) => b.sendAt.localeCompare(a.sendAt))
    .slice(0, ATOM_ENTRIES);
  const updated = entries.reduce<Date | undefined>((latest, e) => {
    const t = new Date(e.builtAt);
    return !latest || t > latest ? t : latest;
  }, undefined);
  return generateAtomFeed({
    id: `${base}/digests.atom`,
    title: { value: xmlText(`${input.site.name}: the digest archive`), type: 'text' },
    updated: updated ?? input.now,
    // A feed needs an author unless every entry has one (RFC 4287 §4.1.1).
    authors: [{ name: xmlText(input.site.name), uri: `${base}/` }],
    links: [
      { href: `${base}/digests.atom`, rel: 'self', type: 'application/atom+xml' },
      { href: `${base}/digests`, rel: 'alternate', type: 'text/html' },
    ],
    entries: entries.map((e) => ({
      id: `${base}${archivePath(e.edition)}`,
      title: { value: xmlText(e.subject || editionWords(e)), type: 'text' },
      updated: new Date(e.builtAt),
      published: new Date(e.sendAt),
      links: [{ href: `${base}${archivePath(e.edition)}`, rel: 'alternate', type: 'text/html' }],
      summary: { value: xmlText(editionWords(e)), type: 'text' },
      categories: [{ term: e.edition.frequency }],
    })),
  });
}

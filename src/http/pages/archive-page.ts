import { editionWords } from '../../digests/archive-atom.js';
import { archivePath, type ArchiveEntry } from '../../digests/archive.js';
import type { Frequency } from '../../digests/frequency.js';
import { dayInWords } from '../../format-time.js';
import { html, type SafeHtml } from '../html.js';
import { layout, type Site } from './layout.js';

const HEADING: Record<Frequency, string> = {
  daily: 'Daily digests',
  weekly: 'Weekly digests',
  monthly: 'Monthly digests',
};

function editionList(entries: ArchiveEntry[]): SafeHtml {
  if (entries.length === 0) return html`<p class="note">None yet: the first one is on its way.</p>`;
  return html`<ul class="digests">
    ${entries.map(
      (e) =>
        html`<li>
          <a href="${archivePath(e.edition)}" title="${editionWords(e)}"
            >${e.subject || editionWords(e)}</a
          >
          <span class="when">${dayInWords(`${e.edition.date}T12:00:00Z`, 'UTC')}</span>
        </li>`,
    )}
  </ul>`;
}

/** GET /digests: the archive, one list per frequency, with its Atom feed. */
export function archivePage(
  site: Site,
  lists: { frequency: Frequency; entries: ArchiveEntry[] }[],
): string {
  return layout({
    site,
    title: 'Archive',
    feed: { href: '/digests.atom', title: `${site.name}: the digest archive` },
    body: html`<h1>Past digests</h1>
      ${lists.map(
        (l) =>
          html`<section aria-labelledby="archive-${l.frequency}">
            <h2 id="archive-${l.frequency}">${HEADING[l.frequency]}</h2>
            ${editionList(l.entries)}
          </section>`,
      )}
      <p class="note">
        Follow the digest in a feed reader: <a href="/digests.atom">the archive's Atom feed</a>.
      </p>`,
  });
}

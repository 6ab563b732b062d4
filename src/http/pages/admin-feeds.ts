import type { DiscoveredFeed } from '../../feeds/discover-feeds.js';
import type { FeedState } from '../../feeds/feed-store.js';
import type { IngestJobView } from '../../feeds/ingest-jobs.js';
import { plural } from '../../format-time.js';
import { html, type SafeHtml } from '../html.js';
import { alert, csrfField, notice, when } from './admin-parts.js';
import { layout, type Site } from './layout.js';

export interface FeedsPageInput {
  csrf: string;
  tz: string;
  feeds: FeedState[];
  message?: string;
  error?: string;
  /** The URL typed last (kept in the field after a refusal). */
  url?: string;
  /** A page that links to several feeds: the admin chooses one. */
  choices?: { page: string; feeds: DiscoveredFeed[] };
  /** The ingest job started from this page. */
  job?: IngestJobView;
}

function feedStatus(f: FeedState): string {
  if (f.lastError && (!f.lastOkAt || (f.lastErrorAt ?? '') > f.lastOkAt)) return 'failing';
  return f.lastOkAt ? 'ok' : 'not fetched yet';
}

function feedRows(input: FeedsPageInput): SafeHtml {
  return html`${input.feeds.map(
    (f) =>
      html`<tr>
        <td data-label="Feed" class="url">${f.url}</td>
        <td data-label="Status">
          ${feedStatus(f)}
          ${f.lastResult ? html`<br /><span class="note">${f.lastResult.new} new, ${f.lastResult.updated} updated</span>` : ''}
        </td>
        <td data-label="Last fetch">${when(f.lastFetchAt, input.tz)}</td>
        <td data-label="Last error">
          ${f.lastError ? html`${f.lastError}<br /><span class="note">${when(f.lastErrorAt, input.tz)}</span>` : '—'}
        </td>
        <td class="actions">
          <form method="post" action="/admin/feeds/remove" class="inline">
            ${csrfField(input.csrf)}
            <input type="hidden" name="url" value="${f.url}" />
            <button type="submit" class="link" aria-label="Remove ${f.url}">Remove</button>
          </form>
        </td>
      </tr>`,
  )}`;
}

const STATE_WORDS: Record<string, string> = {
  waiting: 'Waiting for a worker to take it (is `npm start` or `npm run worker` running?)',
  'waiting-children': 'Waiting',
  prioritized: 'Waiting for a worker',
  delayed: 'Waiting',
  active: 'Fetching',
  completed: 'Done',
  failed: 'Failed',
};

function jobSummary(job: IngestJobView, added: number, finished: boolean): string {
  const count =
    job.total === undefined ? 'starting' : `${job.done} of ${plural(job.total, 'feed')} fetched`;
  const posts = finished ? `, ${plural(added, 'new post')}` : '';
  return `${STATE_WORDS[job.state] ?? job.state}: ${count}${posts}${job.error ? ` (${job.error})` : ''}.`;
}

/** The ingest job's progress; /assets/admin.js refreshes it while the job runs. */
function jobSection(job: IngestJobView): SafeHtml {
  const ok = job.feeds.filter((f) => f.ok);
  const added = ok.reduce((n, f) => n + (f.ok ? f.new : 0), 0);
  const finished = job.state === 'completed' || job.state === 'failed';
  return html`<section
    class="job"
    aria-labelledby="job-h"
    data-ingest-job="${job.id}"
    data-finished="${finished ? 'yes' : 'no'}"
  >
    <h2 id="job-h">Fetching all feeds</h2>
    <p role="status">${jobSummary(job, added, finished)}</p>
    <progress max="${job.total ?? 1}" value="${job.total === undefined ? 0 : job.done}"></progress>
    <ul class="job-feeds">
      ${job.feeds.map(
        (f) =>
          html`<li>
            <span class="url">${f.feed}</span>:
            ${f.ok ? `${plural(f.new, 'new post')}, ${f.updated} updated` : html`<span class="bad">${f.error}</span>`}
          </li>`,
      )}
    </ul>
  </section>`;
}

function choicesSection(csrf: string, c: NonNullable<FeedsPageInput['choices']>): SafeHtml {
  return html`<section class="choices" aria-labelledby="choices-h">
    <h2 id="choices-h">Which feed?</h2>
    <p><span class="url">${c.page}</span> links to ${plural(c.feeds.length, 'feed')}:</p>
    <ul class="rows">
      ${c.feeds.map(
        (f) =>
          html`<li>
            <form method="post" action="/admin/feeds">
              ${csrfField(csrf)}
              <input type="hidden" name="url" value="${f.url}" />
              <strong>${f.title ?? f.type}</strong><br /><span class="url note">${f.url}</span
              ><br />
              <button type="submit" data-choose-feed>Add this feed</button>
            </form>
          </li>`,
      )}
    </ul>
  </section>`;
}

export function feedsPage(site: Site, input: FeedsPageInput): string {
  return layout({
    site,
    title: 'Feeds',
    admin: { csrf: input.csrf },
    scripts: input.job ? ['/assets/admin.js'] : [],
    body: html`<h1>Feeds</h1>
      ${notice(input.message)} ${alert(input.error)}
      ${input.choices ? choicesSection(input.csrf, input.choices) : ''}
      ${input.job ? jobSection(input.job) : ''}
      <div class="table-wrap">
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Feed</th>
              <th scope="col">Status</th>
              <th scope="col">Last fetch</th>
              <th scope="col">Last error</th>
              <th scope="col"><span class="hp">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${feedRows(input)}
          </tbody>
        </table>
      </div>
      ${input.feeds.length === 0 ? html`<p class="note">No feeds yet: add one below.</p>` : ''}
      <form method="post" action="/admin/feeds/ingest">
        ${csrfField(input.csrf)}<button type="submit" class="secondary">Fetch all feeds now</button>
      </form>
      <h2>Add a feed</h2>
      <form method="post" action="/admin/feeds">
        ${csrfField(input.csrf)}
        <label for="feed-url">Feed or blog address</label>
        <input
          id="feed-url"
          name="url"
          type="url"
          required
          maxlength="2000"
          placeholder="https://example.com/feed.xml"
          value="${input.url ?? ''}"
        />
        <p class="note">
          RSS, Atom or JSON Feed. A blog's home page works too: its feeds are found for you. The
          feed is fetched and read before it is added.
        </p>
        <label class="check"
          ><input type="checkbox" name="check" value="no" /> Add without fetching it now (the site
          is down at the moment)</label
        >
        <button type="submit">Add</button>
      </form>`,
  });
}

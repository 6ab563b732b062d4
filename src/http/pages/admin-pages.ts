import type { UpcomingSend } from '../../digests/schedule-listing.js';
import type { Post } from '../../feeds/post.js';
import { plural } from '../../format-time.js';
import type { SubscriberStatus } from '../../subscribers/subscriber.js';
import type { DigestListItem } from '../deps.js';
import { html, safeHref, type SafeHtml } from '../html.js';
import { alert, csrfField, notice, when } from './admin-parts.js';
import { digestNote, retryButton, sendButton } from './digest-status.js';
import { layout, type Site } from './layout.js';
import { nextSendsList } from './next-sends.js';

export function loginPage(site: Site, error?: string): string {
  return layout({
    site,
    title: 'Admin login',
    body: html`<h1>Admin login</h1>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <form method="post" action="/admin/login">
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" required autocomplete="current-password" />
        <button type="submit">Log in</button>
      </form>
      <p class="note">
        The token is ADMIN_TOKEN, or the one saved under DATA_DIR/admin-token at first start.
      </p>`,
  });
}

function postList(posts: Post[], tz: string): SafeHtml {
  if (posts.length === 0) return html`<p class="note">No posts yet for this digest.</p>`;
  return html`<ol>
    ${posts.map(
      (p) =>
        html`<li>
          <a href="${safeHref(p.url)}">${p.title}</a>
          <span class="note">${when(p.publishedAt, tz)}</span>
        </li>`,
    )}
  </ol>`;
}

/** Each zone's send time, subscribers and progress, when the edition goes out in several. */
function zoneList(d: DigestListItem): SafeHtml | string {
  if (d.zones.length < 2) return '';
  return html`<ul class="zones" data-field="zones">
    ${d.zones.map(
      (z) =>
        html`<li data-zone="${z.zone}">
          ${z.zone} ${when(z.at, z.zone)}: ${plural(z.subscribers, 'subscriber')}, ${z.state} (sent
          ${z.sent}, failed ${z.failed}, rolled ${z.rolled})
        </li>`,
    )}
  </ul>`;
}

function digestRows(digests: DigestListItem[], csrf: string): SafeHtml {
  return html`${digests.map(
    (d) =>
      html`<tr data-date="${d.date}">
        <td data-label="Date"><a href="/admin/digests/${d.date}/preview">${d.date}</a></td>
        <td data-label="Status" data-field="status" class="status">${d.status}</td>
        <td data-label="Recipients" data-field="recipients">${d.counters.recipients}</td>
        <td data-label="Sent" data-field="sent">${d.counters.sent}</td>
        <td data-label="Failed" data-field="failed">${d.counters.failed}</td>
        <td data-label="Skipped" data-field="skipped">${d.counters.skipped}</td>
        <td data-label="Pending" data-field="pending">${d.counters.pending}</td>
        <td data-label="Subject" data-field="subject">${d.subject}</td>
        <td data-label="Notes" data-field="note">${digestNote(d)}${zoneList(d)}</td>
        <td class="actions">${retryButton(d, csrfField(csrf))}</td>
      </tr>`,
  )}`;
}

/** What the dashboard says of the next digest. */
export interface NextDigest {
  date: string;
  sendAt: string;
  sendAtInWords: string;
  posts: Post[];
  status?: string;
}

/** The next digest: when it goes out (or that it was built ahead of its time), its posts. */
function nextSection(next: NextDigest, sends: readonly UpcomingSend[], tz: string): SafeHtml {
  return html`<section aria-labelledby="next-h">
    <h2 id="next-h">Next digest: ${next.date}</h2>
    <p class="note">
      ${
        next.status
          ? html`Already built (${next.status}), ahead of its time
              <time datetime="${next.sendAt}">${next.sendAtInWords}</time>: it carried
              ${plural(next.posts.length, 'post')}, and the schedule will send nothing more for it.`
          : html`Scheduled for
              <time data-field="next-send" datetime="${next.sendAt}">${next.sendAtInWords}</time>
              · ${plural(next.posts.length, 'post')} would go out if it were built now.`
      }
    </p>
    ${nextSendsList(sends)} ${postList(next.posts, tz)}
    <p>
      <a class="button secondary" href="/admin/digests/${next.date}/preview">Preview</a>
      ${sendButton(next)}
    </p>
  </section>`;
}

/** Every digest built, its counters kept current by /assets/admin.js. */
function digestsSection(digests: DigestListItem[], csrf: string): SafeHtml {
  return html`<section aria-labelledby="last-h">
    <h2 id="last-h">Digests</h2>
    ${digests.length === 0 ? html`<p class="note">No digest has been built yet.</p>` : ''}
    <div class="table-wrap">
      <!-- Always present (even empty): /assets/admin.js polls it and reloads for a new digest. -->
      <table data-live-digests class="stack">
        <caption class="note">
          Counts update every 2 seconds while a digest goes out.
        </caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Status</th>
            <th scope="col">Recipients</th>
            <th scope="col">Sent</th>
            <th scope="col">Failed</th>
            <th scope="col">Skipped</th>
            <th scope="col">Pending</th>
            <th scope="col">Subject</th>
            <th scope="col">Notes</th>
            <th scope="col"><span class="hp">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${digestRows(digests, csrf)}
        </tbody>
      </table>
    </div>
  </section>`;
}

export function dashboardPage(
  site: Site,
  input: {
    csrf: string;
    tz: string;
    next: NextDigest;
    /** Each offered frequency's next edition with its slots still to come. */
    nextSends: readonly UpcomingSend[];
    digests: DigestListItem[];
    counts: Record<SubscriberStatus, number>;
    message?: string;
    error?: string;
  },
): string {
  const { counts } = input;
  return layout({
    site,
    title: 'Dashboard',
    admin: { csrf: input.csrf },
    scripts: ['/assets/admin.js'],
    body: html`<h1>Dashboard</h1>
      ${notice(input.message)} ${alert(input.error)}
      <p>
        ${plural(counts.confirmed, 'confirmed subscriber')} · ${counts.pending} pending ·
        <a href="/admin/subscribers">all subscribers</a>
      </p>
      ${nextSection(input.next, input.nextSends, input.tz)}
      ${digestsSection(input.digests, input.csrf)}`,
  });
}

/**
 * The confirmation step before a digest is built and sent. A date with no posts has nothing to
 * send (no form); a date more than a week back asks again, with the date in words.
 */
export function triggerPage(
  site: Site,
  input: {
    csrf: string;
    date: string;
    posts: number;
    existing?: DigestListItem;
    past?: { ago: string; words: string };
  },
): string {
  const built = input.existing && !['held', 'skipped', 'empty'].includes(input.existing.status);
  const nothing = !built && input.posts === 0;
  return layout({
    site,
    title: 'Send a digest',
    admin: { csrf: input.csrf },
    body: html`<h1>Send the digest of ${input.date}?</h1>
      ${
        built
          ? html`<p>
              This digest exists already (status <strong>${input.existing!.status}</strong>);
              sending again changes nothing for those who have it: each subscriber gets a digest at
              most once.
            </p>`
          : nothing
            ? html`<p class="notice" role="status">
                There is nothing to send: no post falls in the window of this digest. Nothing was
                stored, so it can be sent once posts arrive.
              </p>`
            : html`<p>
                This builds the digest now with ${plural(input.posts, 'post')} and sends it to every
                confirmed subscriber. It cannot be undone.
              </p>`
      }
      ${
        input.past && !nothing
          ? html`<p class="error" role="alert">
              This is ${input.past.ago}: ${input.past.words}. Every confirmed subscriber would get a
              digest that old.
            </p>`
          : ''
      }
      ${
        nothing
          ? html`<p><a class="button secondary" href="/admin">Back</a></p>`
          : html`<form method="post" action="/admin/trigger">
              ${csrfField(input.csrf)}
              <input type="hidden" name="date" value="${input.date}" />
              ${input.past ? html`<input type="hidden" name="force" value="yes" />` : ''}
              <button type="submit">
                ${input.past ? `Yes, send the digest of ${input.past.ago}` : 'Yes, send it'}
              </button>
              <a class="button secondary" href="/admin">Cancel</a>
            </form>`
      }`,
  });
}

/** A row; "Delete…" opens a confirmation in place (no script), the button under it deletes. */

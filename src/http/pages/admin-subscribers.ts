import type { Frequency } from '../../digests/frequency.js';
import { plural } from '../../format-time.js';
import type { ImportSummary } from '../../subscribers/import-csv.js';
import type { Subscriber, SubscriberStatus } from '../../subscribers/subscriber.js';
import { SUBSCRIBER_STATUSES } from '../../subscribers/subscriber.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, notice, when } from './admin-parts.js';
import { layout, type Site } from './layout.js';

/** The row's "Delivery…" form: frequency (among those offered, or the site default) and topics. */
function deliveryForm(s: Subscriber, csrf: string, frequencies: readonly Frequency[]): SafeHtml {
  return html`<details class="confirm">
    <summary aria-label="Delivery of ${s.email}…">Delivery…</summary>
    <form method="post" action="/admin/subscribers/${s.id}/delivery">
      ${csrfField(csrf)}
      <label for="f-${s.id}">Frequency</label>
      <select id="f-${s.id}" name="frequency">
        <option value="">(the site's default)</option>
        ${frequencies.map((f) => html`<option value="${f}" ${f === s.frequency ? 'selected' : ''}>${f}</option>`)}
      </select>
      <label for="t-${s.id}">Topics (names separated by commas; empty: every post)</label>
      <input
        id="t-${s.id}"
        name="topics"
        type="text"
        value="${s.topics.join(', ')}"
        maxlength="2000"
      />
      <button type="submit">Save</button>
    </form>
  </details>`;
}

function subscriberRow(
  s: Subscriber,
  csrf: string,
  tz: string,
  frequencies: readonly Frequency[],
): SafeHtml {
  return html`<tr>
    <td data-label="Id">${s.id}</td>
    <td data-label="Address" class="url">${s.email}</td>
    <td data-label="Status">${s.status}${s.paused ? ' (paused)' : ''}</td>
    <td data-label="Time zone">${s.tz ?? ''}</td>
    <td data-label="Frequency">${s.frequency ?? html`<span class="note">default</span>`}</td>
    <td data-label="Topics">
      ${s.topics.length ? s.topics.join(', ') : html`<span class="note">all</span>`}
    </td>
    <td data-label="Since">${when(s.createdAt, tz)}</td>
    <td class="actions">
      ${deliveryForm(s, csrf, frequencies)}
      <details class="confirm">
        <summary aria-label="Delete ${s.email}…">Delete…</summary>
        <form method="post" action="/admin/subscribers/${s.id}/delete">
          ${csrfField(csrf)}
          <p>Delete ${s.email} and everything about them? This cannot be undone.</p>
          <button type="submit" class="danger">Yes, delete</button>
        </form>
      </details>
    </td>
  </tr>`;
}

/** An import's counts and its bad rows by line, as the CLI prints them. */
function importReport(r: ImportSummary): SafeHtml {
  return html`<section class="notice" role="status" aria-labelledby="import-h">
    <h2 id="import-h">Import: ${plural(r.rows, 'row')} read</h2>
    <p>
      ${r.created} created · ${r.updated} updated · ${r.unchanged} unchanged · ${r.suppressed}
      suppressed · ${r.invalidCount} invalid
    </p>
    ${
      r.invalid.length
        ? html`<div class="table-wrap">
              <table class="stack">
                <thead>
                  <tr>
                    <th scope="col">Line</th>
                    <th scope="col">Problem</th>
                  </tr>
                </thead>
                <tbody>
                  ${r.invalid.slice(0, 200).map(
                    (b) =>
                      html`<tr>
                        <td data-label="Line">${b.line}</td>
                        <td data-label="Problem">
                          ${b.reason} <span class="note">${b.code}</span>
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            ${r.invalidCount > 200 ? html`<p class="note">… and ${r.invalidCount - 200} more.</p>` : ''}`
        : ''
    }
  </section>`;
}

/** What the subscribers page shows. */
export interface SubscribersInput {
  csrf: string;
  tz: string;
  /** The frequencies the site offers and the topics that exist. */
  frequencies: readonly Frequency[];
  topics: readonly string[];
  subscribers: Subscriber[];
  /** The last import's outcome, with its bad rows by line. */
  importReport?: ImportSummary;
  error?: string;
  counts: Record<SubscriberStatus, number>;
  status?: SubscriberStatus;
  search?: string;
  nextHref?: string;
  message?: string;
}

/** The search by address and the status filter, a GET form. */
function filterForm(input: SubscribersInput): SafeHtml {
  return html`<form method="get" action="/admin/subscribers" role="search">
    <label for="search">Search addresses</label>
    <input id="search" name="search" type="search" value="${input.search ?? ''}" maxlength="254" />
    <label for="status">Status</label>
    <select id="status" name="status">
      <option value="">all</option>
      ${SUBSCRIBER_STATUSES.map((s) => html`<option value="${s}" ${s === input.status ? 'selected' : ''}>${s}</option>`)}
    </select>
    <button type="submit">Filter</button>
  </form>`;
}

function subscriberTable(input: SubscribersInput): SafeHtml {
  return html`<div class="table-wrap">
      <table class="stack">
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Address</th>
            <th scope="col">Status</th>
            <th scope="col">Time zone</th>
            <th scope="col">Frequency</th>
            <th scope="col">Topics</th>
            <th scope="col">Since</th>
            <th scope="col"><span class="hp">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${input.subscribers.map((s) => subscriberRow(s, input.csrf, input.tz, input.frequencies))}
        </tbody>
      </table>
    </div>
    ${input.subscribers.length === 0 ? html`<p class="note">No subscribers match.</p>` : ''}
    ${input.nextHref ? html`<p><a href="${input.nextHref}">Next page</a></p>` : ''}`;
}

/** Adding one: a frequency where the site offers several, topics where any exist. */
function addForm(input: SubscribersInput): SafeHtml {
  return html`<h2>Add a subscriber</h2>
    <form method="post" action="/admin/subscribers">
      ${csrfField(input.csrf)}
      <label for="add-email">Address</label>
      <input id="add-email" name="email" type="email" required maxlength="254" />
      ${
        input.frequencies.length > 1
          ? html`<label for="add-frequency">Frequency</label>
              <select id="add-frequency" name="frequency">
                <option value="">(the site's default)</option>
                ${input.frequencies.map((f) => html`<option value="${f}">${f}</option>`)}
              </select>`
          : ''
      }
      ${
        input.topics.length
          ? html`<label for="add-topics"
                >Topics (${input.topics.join(', ')}; empty: every post)</label
              >
              <input id="add-topics" name="topics" type="text" maxlength="2000" />`
          : ''
      }
      <label
        ><input type="checkbox" name="confirmed" value="yes" /> Already confirmed (they asked you in
        another way)</label
      >
      <button type="submit">Add</button>
    </form>`;
}

function importExport(csrf: string): SafeHtml {
  return html`<h2>Import and export</h2>
    <form method="post" action="/admin/subscribers/import" enctype="multipart/form-data">
      ${csrfField(csrf)}
      <label for="csv"
        >CSV file (a column "email"; optional "name", "tz", "status", "frequency", "topics" with
        names separated by ";")</label
      >
      <input id="csv" name="file" type="file" accept=".csv,text/csv" required />
      <button type="submit" class="secondary">Import</button>
    </form>
    <p><a href="/admin/api/subscribers/export">Export all as CSV</a></p>`;
}

export function subscribersPage(site: Site, input: SubscribersInput): string {
  const total = Object.values(input.counts).reduce((a, b) => a + b, 0);
  return layout({
    site,
    title: 'Subscribers',
    admin: { csrf: input.csrf },
    body: html`<h1>Subscribers</h1>
      ${notice(input.message)}
      ${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
      ${input.importReport ? importReport(input.importReport) : ''}
      <p>
        ${total} in all:
        ${SUBSCRIBER_STATUSES.map((s, i) => html`${i ? ' · ' : ''}${input.counts[s]} ${s}`)}
      </p>
      ${filterForm(input)} ${subscriberTable(input)} ${addForm(input)} ${importExport(input.csrf)}`,
  });
}

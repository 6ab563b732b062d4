import { describeFirstError, SETTLED_STATUSES } from '../../digests/digest.js';
import type { Post } from '../../feeds/post.js';
import type { DigestListItem } from '../deps.js';
import { html, type SafeHtml } from '../html.js';

/*
 * What the dashboard says about a digest's state: why it is held or skipped, its first SMTP
 * errors, the retry of its temporary failures, and whether there is anything to send.
 */

/**
 * Why a digest is held or skipped, and the first SMTP error of each kind. The same words as
 * /assets/admin.js writes while the dashboard polls.
 */
export function digestNote(d: Pick<DigestListItem, 'reason' | 'errors'>): string {
  const parts = d.reason ? [d.reason] : [];
  for (const [kind, e] of Object.entries(d.errors)) parts.push(describeFirstError(kind, e));
  return parts.join(' · ');
}

const temporaryFailures = (d: DigestListItem) =>
  d.failures.filter((g) => g.cause === 'temporary').reduce((n, g) => n + g.count, 0);

/** The dashboard row's "Retry N failed" form, for a settled digest with temporary failures. */
export function retryButton(d: DigestListItem, csrfField: SafeHtml): SafeHtml | string {
  const n = temporaryFailures(d);
  if (n === 0 || !SETTLED_STATUSES.includes(d.status)) return '';
  return html`<form method="post" action="/admin/digests/${d.date}/retry-failed" class="inline">
    ${csrfField}
    <button type="submit" class="secondary">Retry ${n} failed</button>
  </form>`;
}

/** The next digest's send button, or why there is nothing to send. */
export function sendButton(next: {
  date: string;
  posts: Post[];
  status?: string;
}): SafeHtml | string {
  if (next.status) return '';
  if (next.posts.length === 0)
    return html`<button type="button" disabled>Nothing to send</button>
      <span class="note">no post in this digest's window yet</span>`;
  return html`<a class="button" href="/admin/trigger?date=${next.date}">Send now…</a>`;
}

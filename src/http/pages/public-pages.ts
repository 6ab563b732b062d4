import type { Post } from '../../feeds/post.js';
import { dayInWords } from '../../format-time.js';
import type { DigestListItem as DigestSummary } from '../deps.js';
import { html, safeHref, type SafeHtml } from '../html.js';
import { deliveryFields, type DeliveryOptions, type DeliveryPicked } from './delivery-fields.js';
import { layout, type Site } from './layout.js';

/** Digests that went out, for the archive and the home page. */
export function archivedDigests(digests: DigestSummary[]): DigestSummary[] {
  return digests.filter(
    (d) => d.status === 'sent' || d.status === 'sent_with_failures' || d.status === 'sending',
  );
}

function digestList(digests: DigestSummary[]): SafeHtml {
  if (digests.length === 0)
    return html`<p class="note">No digests yet: the first one is on its way.</p>`;
  return html`<ul class="digests">
    ${digests.map(
      (d) =>
        html`<li>
          <a href="/digests/${d.date}">${d.subject || d.date}</a>
          <span class="when">${dayInWords(`${d.date}T12:00:00Z`, 'UTC')}</span>
        </li>`,
    )}
  </ul>`;
}

/** The posts of the latest digest that went out, on the home page. */
export interface LatestDigest {
  date: string;
  subject: string;
  posts: Post[];
}

function latestSection(latest: LatestDigest | undefined): SafeHtml | string {
  if (!latest || latest.posts.length === 0) return '';
  return html`<section class="card" aria-labelledby="latest-h">
    <h2 id="latest-h">In the latest digest</h2>
    <ul class="posts">
      ${latest.posts.slice(0, 8).map(
        (p) =>
          html`<li>
            <a class="title" href="${safeHref(p.url)}">${p.title}</a>
            ${p.summary ? html`<p>${p.summary.slice(0, 180)}${p.summary.length > 180 ? '…' : ''}</p>` : ''}
          </li>`,
      )}
    </ul>
    <p><a href="/digests/${latest.date}">Read the whole digest</a></p>
  </section>`;
}

/** GET /: the subscribe form, the latest digest's posts and the past digests. */
export function homePage(
  site: Site,
  input: {
    digests: DigestSummary[];
    latest?: LatestDigest;
    stamp: string;
    error?: string;
    email?: string;
    /** The frequencies and topics the form offers, and what the reader picked. */
    options: DeliveryOptions;
    picked?: DeliveryPicked;
  },
): string {
  return layout({
    site,
    title: 'Subscribe',
    scripts: ['/assets/tz.js'],
    body: html`<div class="hero">
        <h1>${site.name}</h1>
        <p class="lede">The week's new posts in one email. Unsubscribe in one click, any time.</p>
      </div>
      <form method="post" action="/subscribe" class="subscribe subscribe-box" id="subscribe">
        ${input.error ? html`<p class="error" role="alert" id="email-error">${input.error}</p>` : ''}
        <label for="email">Your email address</label>
        <div class="row">
          <input
            id="email"
            name="email"
            type="email"
            required
            maxlength="254"
            autocomplete="email"
            placeholder="you@example.com"
            value="${input.email ?? ''}"
            ${input.error ? html`aria-invalid="true" aria-describedby="email-error"` : ''}
          />
          <button type="submit">Subscribe</button>
        </div>
        ${deliveryFields(input.options, input.picked ?? {})}
        <input type="hidden" name="tz" value="" />
        <input type="hidden" name="source" value="/" />
        <input type="hidden" name="ts" value="${input.stamp}" />
        <div class="hp" aria-hidden="true">
          <label for="website">Leave this empty</label>
          <input id="website" name="website" type="text" tabindex="-1" autocomplete="off" />
        </div>
        <p class="note">
          We will send you an email to confirm. We keep your address, the time you asked and where
          from, and nothing else.
        </p>
      </form>
      ${latestSection(input.latest)}
      <h2>Past digests</h2>
      ${digestList(archivedDigests(input.digests))}`,
  });
}

/** The answer to every valid subscribe request, whatever the address's state. */
export function subscribeDonePage(site: Site): string {
  return layout({
    site,
    title: 'Check your inbox',
    body: html`<h1>Check your inbox</h1>
      <p>
        If this address can subscribe, an email with a confirmation link is on its way. The link
        works for 48 hours.
      </p>
      <p class="note">
        Nothing arrived? Look in the spam folder, or <a href="/">try again</a> in a few minutes.
      </p>`,
  });
}

/**
 * GET /confirm: the link opens this page, and only its button confirms (a POST): mail
 * scanners and link previews that follow the link change nothing.
 */
export function confirmPage(site: Site, token: string, email: string): string {
  return layout({
    site,
    title: 'Confirm your subscription',
    body: html`<h1>Confirm your subscription</h1>
      <p>Send the weekly digest to <strong>${email}</strong>?</p>
      <form method="post" action="/confirm">
        <input type="hidden" name="token" value="${token}" />
        <button type="submit">Confirm my subscription</button>
      </form>`,
  });
}

/** Asked for a data link: says where it went (the same words whatever happened). */
export function dataLinkSentPage(site: Site): string {
  return layout({
    site,
    title: 'Check your inbox',
    body: html`<h1>Check your inbox</h1>
      <p>
        We sent a link to your address. It works for 24 hours, and only it can download or delete
        your data.
      </p>`,
  });
}

export function confirmedPage(site: Site, already: boolean): string {
  return layout({
    site,
    title: 'Subscription confirmed',
    body: html`<h1>${already ? 'Already confirmed' : 'Subscription confirmed'}</h1>
      <p>
        ${already ? 'This address was already confirmed.' : 'Thank you: you will get the next digest.'}
      </p>
      <p><a href="/digests">Read past digests</a></p>`,
  });
}

const TOKEN_MESSAGES: Record<string, [string, string]> = {
  TOKEN_MISSING: [
    'Use the link from your email',
    'This page needs the personal link from one of our emails. Open the link there; nothing has changed.',
  ],
  TOKEN_EXPIRED: [
    'This link has expired',
    'Links in our emails expire. Subscribe again to get a fresh one; nothing has changed.',
  ],
  TOKEN_INVALID: [
    'This link is not valid',
    'The link may be incomplete or altered. Nothing has changed.',
  ],
  TOKEN_SUPERSEDED: [
    'This link is out of date',
    'You unsubscribed after this link was sent. Subscribe again to get a fresh one; nothing has changed.',
  ],
  SUBSCRIBER_BLOCKED: [
    'This link cannot be used',
    'This address cannot be subscribed from this link. Nothing has changed.',
  ],
};

/** A clear page for a bad link; the caller sets the status. */
export function badLinkPage(site: Site, code: string): string {
  const [title, message] = TOKEN_MESSAGES[code] ?? TOKEN_MESSAGES.TOKEN_INVALID!;
  return layout({
    site,
    title,
    body: html`<h1>${title}</h1>
      <p>${message}</p>
      <p><a href="/">Go to the subscribe page</a></p>`,
  });
}

/** GET /unsubscribe: one button, because a GET never unsubscribes (mail scanners follow links). */
export function unsubscribePage(site: Site, token: string, email: string): string {
  return layout({
    site,
    title: 'Unsubscribe',
    body: html`<h1>Unsubscribe</h1>
      <p>Stop sending the weekly digest to <strong>${email}</strong>?</p>
      <form method="post" action="/unsubscribe?token=${token}">
        <button type="submit">Unsubscribe</button>
      </form>`,
  });
}

/** After unsubscribing: says so and offers to subscribe again. */
export function unsubscribedPage(site: Site, preferencesToken: string | undefined): string {
  return layout({
    site,
    title: 'Unsubscribed',
    body: html`<h1>You are unsubscribed</h1>
      <p>You will not get the digest any more.</p>
      ${
        preferencesToken
          ? html`<form method="post" action="/preferences?token=${preferencesToken}">
              <input type="hidden" name="action" value="resubscribe" />
              <button type="submit" class="secondary">Subscribe again</button>
            </form>`
          : html`<p><a href="/">Subscribe again</a></p>`
      }`,
  });
}

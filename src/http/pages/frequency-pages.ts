import type { Frequency } from '../../digests/frequency.js';
import { html } from '../html.js';
import { layout, type Site } from './layout.js';

/**
 * GET /frequency: the footer's "less often" / "more often" opens this page with one button;
 * only its POST changes anything (mail scanners follow links), as with unsubscribe.
 */
export function frequencyPage(
  site: Site,
  input: {
    token: string;
    email: string;
    /** What they get now and what they would get, in words (describeDelivery). */
    now: string;
    /** Absent: the site offers nothing further in that direction. */
    target?: { frequency: Frequency; words: string };
    preferencesToken: string;
  },
): string {
  const prefs = html`<p>
    <a href="/preferences?token=${input.preferencesToken}">All your preferences</a>
  </p>`;
  if (!input.target) {
    return layout({
      site,
      title: 'Nothing to change',
      body: html`<h1>Nothing to change</h1>
        <p>
          <strong>${input.email}</strong> gets the digest <strong>${input.now}</strong>: this site
          offers no other frequency in that direction.
        </p>
        ${prefs}`,
    });
  }
  return layout({
    site,
    title: 'Change how often',
    body: html`<h1>Get the digest ${input.target.frequency}?</h1>
      <p>
        <strong>${input.email}</strong> gets it <strong>${input.now}</strong>. From the next digest
        on it would be <strong>${input.target.words}</strong>; no post is missed or sent twice.
      </p>
      <form method="post" action="/frequency?token=${input.token}">
        <input type="hidden" name="to" value="${input.target.frequency}" />
        <button type="submit">Switch to ${input.target.frequency}</button>
      </form>
      ${prefs}`,
  });
}

/** After the change: what they get now. */
export function frequencyChangedPage(
  site: Site,
  input: { words: string; preferencesToken: string },
): string {
  return layout({
    site,
    title: 'Changed',
    body: html`<h1>Changed</h1>
      <p>From your next digest on, you get it <strong id="delivery">${input.words}</strong>.</p>
      <p><a href="/preferences?token=${input.preferencesToken}">All your preferences</a></p>`,
  });
}

import type { Subscriber } from '../../subscribers/subscriber.js';
import { html } from '../html.js';
import { deliveryFields, type DeliveryOptions, type DeliveryPicked } from './delivery-fields.js';
import { layout, type Site } from './layout.js';

/** The data section: download and delete with a fresh data link, else a way to get one. */
function dataSection(action: string, dataAccess: boolean) {
  if (!dataAccess)
    return html`<form method="post" action="${action}">
      <input type="hidden" name="action" value="data-link" />
      <p class="note">
        To download or delete your data, we email you a link that works for 24 hours (links in
        digests cannot do it, since digests get forwarded).
      </p>
      <button type="submit" class="secondary">Email me that link</button>
    </form>`;
  return html`<form method="post" action="${action}">
      <input type="hidden" name="action" value="download" />
      <button type="submit" class="secondary">Download my data (JSON)</button>
    </form>
    <form method="post" action="${action}">
      <input type="hidden" name="action" value="delete" />
      <label
        ><input type="checkbox" name="confirm" value="yes" required /> Delete my address and
        everything about me</label
      >
      <button type="submit" class="danger">Delete me</button>
      <p class="note">
        We keep only a one-way hash of the address, so an import cannot add it back by mistake.
      </p>
    </form>`;
}

/** What the preferences page shows besides the subscriber. */
export interface PreferencesView {
  /** What they get, in words (describeDelivery). */
  delivery: string;
  options: DeliveryOptions;
  notice?: string;
  /** A save refused: says why; `picked` and `tz` keep what they chose. */
  error?: string;
  picked?: DeliveryPicked & { tz?: string; paused?: boolean };
  dataAccess?: boolean;
}

/**
 * GET /preferences: what they get in words; frequency and topics (where the site offers a
 * choice), time zone, pause; unsubscribe; download and delete with `dataAccess` (a fresh
 * emailed link), else a button that emails one.
 */
export function preferencesPage(
  site: Site,
  sub: Subscriber,
  token: string,
  view: PreferencesView,
): string {
  const zones = Intl.supportedValuesOf('timeZone');
  const action = `/preferences?token=${token}`;
  const subscribed = sub.status === 'confirmed' || sub.status === 'pending';
  const picked = view.picked ?? { frequency: sub.frequency, topics: sub.topics };
  const tz = view.picked?.tz ?? sub.tz;
  const paused = view.picked?.paused ?? sub.paused;
  return layout({
    site,
    title: 'Your preferences',
    body: html`<h1>Your preferences</h1>
      ${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
      ${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
      <p>
        Address: <strong>${sub.email}</strong> · Status:
        <span class="status">${sub.status}${sub.paused ? ' (paused)' : ''}</span>
      </p>
      <p>You get the digest <strong id="delivery">${view.delivery}</strong>.</p>
      <form method="post" action="${action}">
        <input type="hidden" name="action" value="save" />
        ${deliveryFields(view.options, picked)}
        <label for="tz">Time zone</label>
        <select id="tz" name="tz">
          <option value="">(the digest's time zone)</option>
          ${zones.map((z) => html`<option value="${z}" ${z === tz ? 'selected' : ''}>${z}</option>`)}
        </select>
        <label class="check"
          ><input type="checkbox" name="paused" value="yes" ${paused ? 'checked' : ''} /> Pause the
          digest for now</label
        >
        <p class="note">
          A change takes effect from your next digest; no post is missed or sent twice.
        </p>
        <button type="submit">Save</button>
      </form>
      <h2>Subscription</h2>
      <form method="post" action="${action}">
        <input type="hidden" name="action" value="${subscribed ? 'unsubscribe' : 'resubscribe'}" />
        <button type="submit" class="secondary">
          ${subscribed ? 'Unsubscribe' : 'Subscribe again'}
        </button>
      </form>
      <h2>Your data</h2>
      ${dataSection(action, view.dataAccess ?? false)}`,
  });
}

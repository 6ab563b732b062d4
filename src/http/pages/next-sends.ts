import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import type { UpcomingSend, UpcomingSlot } from '../../digests/schedule-listing.js';
import { plural } from '../../format-time.js';
import { html, type SafeHtml } from '../html.js';

const clock = (at: string, zone: string) => format(new TZDate(Date.parse(at), zone), 'HH:mm');

/** "09:00 Asia/Tokyo" (the slot's first zone, and how many others share that instant). */
function slotZones(slot: UpcomingSlot): string {
  const [zone, ...others] = slot.zones.map((z) => z.zone);
  const more = others.length ? ` and ${plural(others.length, 'other zone')}` : '';
  return `${clock(slot.at, zone!)} ${zone}${more}`;
}

/**
 * " (00:00 UTC)", with the UTC date where it is not the edition's (zones east of UTC); nothing
 * when the slot's zone is UTC itself.
 */
function inUtc(slot: UpcomingSlot, date: string): string {
  if (slot.zones[0]?.zone === 'UTC') return '';
  const day = slot.at.slice(0, 10);
  return ` (${day === date ? '' : `${day} `}${clock(slot.at, 'UTC')} UTC)`;
}

/**
 * One frequency's next edition in words, from its slots still to come (the scheduler's own,
 * as `digest schedule` lists them): "weekly 2026-12-07: first at 09:00 Asia/Tokyo (00:00 UTC),
 * last at 09:00 America/Los_Angeles; 3 zones". An edition whose first zones have gone out
 * already names the slots it has left.
 */
export function describeNextSend(s: UpcomingSend): string {
  const first = s.slots[0]!;
  const last = s.slots[s.slots.length - 1]!;
  const zones = plural(
    s.slots.reduce((n, slot) => n + slot.zones.length, 0),
    'zone',
  );
  const when =
    first === last
      ? `at ${slotZones(first)}${inUtc(first, s.date)}`
      : `first at ${slotZones(first)}${inUtc(first, s.date)}, last at ${slotZones(last)}`;
  return `${s.frequency} ${s.date}: ${when}; ${zones}`;
}

/** The next edition of each offered frequency, by zone (README "The schedule"). */
export function nextSendsList(sends: readonly UpcomingSend[]): SafeHtml | '' {
  if (sends.length === 0) return '';
  return html`<p class="note">
      The next edition of each frequency, by zone (what is still to go out):
    </p>
    <ul class="next-sends" data-field="next-sends">
      ${sends.map((s) => html`<li data-frequency="${s.frequency}">${describeNextSend(s)}</li>`)}
    </ul>`;
}

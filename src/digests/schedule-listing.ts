import { TZDate } from '@date-fns/tz';
import { format, formatISO } from 'date-fns';
import { plural } from '../format-time.js';
import { editionId } from './edition.js';
import { editionWindow } from './edition-window.js';
import type { Frequency } from './frequency.js';
import { occurrencesAfter } from './occurrences.js';
import { slotsBetween, zonePlan, type Slot, type ZonePlan, type ZoneSchedule } from './slots.js';

/** One zone of a slot: its subscribers of that frequency (the group index's counts). */
export interface UpcomingZone {
  zone: string;
  subscribers: number;
}

/** One send instant of an edition, with the zones whose cron time falls then. */
export interface UpcomingSlot {
  /** ISO instant in UTC. */
  at: string;
  /** The same instant in DIGEST_TZ, ISO with its offset. */
  local: string;
  zones: UpcomingZone[];
}

/** One upcoming edition, as `digest schedule` lists it. */
export interface UpcomingSend {
  frequency: Frequency;
  /** The edition id, `weekly/2026-12-07`. */
  id: string;
  date: string;
  /** Its first slot still to come (where it is built, if it is not yet), ISO in UTC. */
  at: string;
  /** The same instant in DIGEST_TZ, ISO with its offset (2026-03-09T09:00:00+01:00). */
  local: string;
  /** "Monday 9 March 2026, 09:00 Europe/Berlin". */
  words: string;
  /** The window of posts it carries, [windowStart, windowEnd), ISO in UTC (DIGEST_TZ's cron). */
  windowStart: string;
  windowEnd: string;
  /** Its slots after `now`, oldest first. */
  slots: UpcomingSlot[];
}

/** "Monday 7 December, 09:00 Europe/Berlin" (with the year when it is not `now`'s year). */
export function sendTimeInWords(at: Date, tz: string, now = new Date()): string {
  const local = new TZDate(at.getTime(), tz);
  const sameYear = local.getFullYear() === new TZDate(now.getTime(), tz).getFullYear();
  return `${format(local, sameYear ? 'EEEE d MMMM, HH:mm' : 'EEEE d MMMM yyyy, HH:mm')} ${tz}`;
}

/** The subscribers of frequency `f` in `zone`: the sum of its groups' counts. */
export function zoneSubscribers(
  plan: ZonePlan,
  counts: ReadonlyMap<string, number>,
  f: Frequency,
  zone: string,
): number {
  return (plan.get(f)?.get(zone) ?? []).reduce((n, g) => n + (counts.get(g) ?? 0), 0);
}

/** Zones' local dates lie within a day of DIGEST_TZ's, so an edition's slots within this. */
const SLOT_SPREAD_MS = 2 * 86_400_000;

/**
 * The next `count` editions after `now` of each frequency in `frequencies` (default: every one
 * the site offers), each with its slots still to come: the instant, the zones whose cron time
 * falls then (the scheduler's own slots, src/digests/slots.ts) with their subscribers, and the
 * edition's window. An edition whose first zones have sent but a later one has not is listed
 * with its later slots.
 */
export function upcomingSends(
  input: {
    schedule: ZoneSchedule;
    plan: ZonePlan;
    counts: ReadonlyMap<string, number>;
    frequencies?: readonly Frequency[];
  },
  now: Date,
  count: number,
): UpcomingSend[] {
  if (count <= 0) return [];
  const { schedule, plan } = input;
  const out: UpcomingSend[] = [];
  for (const f of input.frequencies ?? schedule.frequencies) {
    const zones = plan.get(f);
    if (!zones) continue;
    // DIGEST_TZ's count-th occurrence bounds the editions (other zones within a day of it).
    let until = now;
    let n = 0;
    for (const o of occurrencesAfter(now, { cron: schedule.crons[f], tz: schedule.tz })) {
      until = o.at;
      if (++n >= count) break;
    }
    const slots = slotsBetween(
      now,
      new Date(until.getTime() + SLOT_SPREAD_MS),
      schedule,
      new Map([[f, zones]]),
      (count + 2) * zones.size,
    );
    out.push(...editionsOf(f, slots, input, now).slice(0, count));
  }
  return out;
}

/**
 * upcomingSends on the zones in use now: the group index's groups and their subscribers
 * (README "The schedule"). `digest schedule` and the admin dashboard both read it here.
 */
export async function readUpcomingSends(
  input: {
    schedule: ZoneSchedule;
    groups: { counts(): Promise<ReadonlyMap<string, number>> };
    frequencies?: readonly Frequency[];
  },
  now: Date,
  count: number,
): Promise<UpcomingSend[]> {
  const { schedule, frequencies } = input;
  const counts = await input.groups.counts();
  return upcomingSends(
    {
      schedule,
      plan: zonePlan(schedule, counts.keys()),
      counts,
      ...(frequencies ? { frequencies } : {}),
    },
    now,
    count,
  );
}

function editionsOf(
  f: Frequency,
  slots: Slot[],
  input: { schedule: ZoneSchedule; plan: ZonePlan; counts: ReadonlyMap<string, number> },
  now: Date,
): UpcomingSend[] {
  const { schedule, plan, counts } = input;
  const byDate = new Map<string, Slot[]>();
  for (const s of slots) byDate.set(s.date, [...(byDate.get(s.date) ?? []), s]);
  const out: UpcomingSend[] = [];
  for (const date of [...byDate.keys()].sort()) {
    const own = byDate.get(date)!;
    let w;
    try {
      w = editionWindow({ frequency: f, date }, schedule);
    } catch {
      continue; // DIGEST_TZ skips that date: no edition can be built for it (edition-window.ts)
    }
    const first = own[0]!.at;
    out.push({
      frequency: f,
      id: editionId({ frequency: f, date }),
      date,
      at: first.toISOString(),
      local: formatISO(new TZDate(first.getTime(), schedule.tz)),
      words: sendTimeInWords(first, schedule.tz, now),
      windowStart: w.windowStart.toISOString(),
      windowEnd: w.windowEnd.toISOString(),
      slots: own.map((s) => ({
        at: s.at.toISOString(),
        local: formatISO(new TZDate(s.at.getTime(), schedule.tz)),
        zones: s.zones.map((zone) => ({
          zone,
          subscribers: zoneSubscribers(plan, counts, f, zone),
        })),
      })),
    });
  }
  return out;
}

/** The lines `digest schedule` prints: per frequency its cron, then each edition and its slots. */
export function formatUpcomingSends(sends: UpcomingSend[], schedule: ZoneSchedule): string[] {
  const lines: string[] = [];
  const reading = schedule.localTime ? "in each subscriber's zone" : `in ${schedule.tz}`;
  for (const f of [...new Set(sends.map((s) => s.frequency))]) {
    lines.push(`${f}: "${schedule.crons[f]}" ${reading} (DIGEST_TZ ${schedule.tz})`);
    for (const s of sends.filter((x) => x.frequency === f)) {
      lines.push(
        `${s.date}  ${s.at}  ${s.local}  (${s.words})  window ${s.windowStart} .. ${s.windowEnd}`,
      );
      for (const slot of s.slots)
        lines.push(
          `    ${slot.at}  ${slot.zones.map((z) => `${z.zone} (${plural(z.subscribers, 'subscriber')})`).join(', ')}`,
        );
    }
  }
  return lines;
}

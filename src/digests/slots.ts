import type { Edition } from './edition.js';
import { FREQUENCIES, isFrequency, type Frequency } from './frequency.js';
import { occurrencesAfter, sendTimeOn, type Occurrence } from './occurrences.js';

/**
 * The schedule across zones and frequencies (README "The schedule"). Each offered frequency's
 * cron is read in every zone in use (DIGEST_TZ always among them) with the rules of
 * occurrences.ts; a **slot** is one (frequency, local date, instant) with the zones whose
 * occurrence of that date falls at that instant. The edition of a frequency and a date is
 * built at its first slot and each slot fans out its own zones.
 */

/** What the schedule reads from config.digest. */
export interface ZoneSchedule {
  frequencies: readonly Frequency[];
  defaultFrequency: Frequency;
  crons: Readonly<Record<Frequency, string>>;
  /** DIGEST_TZ: the zone of subscribers without one, always in use. */
  tz: string;
  /** DIGEST_LOCAL_TIME: false reads every zone as DIGEST_TZ (one instant per edition). */
  localTime: boolean;
}

export interface Slot {
  frequency: Frequency;
  /** The local date in each of its zones: the edition's date. */
  date: string;
  at: Date;
  /** Its zones, sorted. */
  zones: string[];
}

/** Per offered frequency: each zone in use and the group names (store-scripts.ts) it sends. */
export type ZonePlan = Map<Frequency, Map<string, string[]>>;

/**
 * Reads group names ("weekly:Asia/Tokyo", "default:default") into the zones each offered
 * frequency sends to. `default` (and a frequency the site no longer offers) is the default
 * frequency; a `default` zone, and every zone without local time, is DIGEST_TZ.
 */
export function zonePlan(schedule: ZoneSchedule, groupNames: Iterable<string>): ZonePlan {
  const plan: ZonePlan = new Map();
  for (const f of FREQUENCIES) {
    if (schedule.frequencies.includes(f)) plan.set(f, new Map([[schedule.tz, []]]));
  }
  for (const name of groupNames) {
    const at = name.indexOf(':');
    const f = name.slice(0, at);
    const z = name.slice(at + 1);
    const freq = isFrequency(f) && schedule.frequencies.includes(f) ? f : schedule.defaultFrequency;
    const zone = !schedule.localTime || z === 'default' ? schedule.tz : z;
    const zones = plan.get(freq);
    if (!zones) continue; // the default frequency is always offered (config checks it)
    const list = zones.get(zone) ?? [];
    list.push(name);
    zones.set(zone, list.sort());
  }
  return plan;
}

const slotKey = (f: Frequency, o: Occurrence) => `${f} ${o.date} ${o.at.getTime()}`;

function addTo(map: Map<string, Slot>, f: Frequency, o: Occurrence, zone: string) {
  const key = slotKey(f, o);
  const s = map.get(key);
  if (s) s.zones = [...s.zones, zone].sort();
  else map.set(key, { frequency: f, date: o.date, at: o.at, zones: [zone] });
}

const byTime = (a: Slot, b: Slot) =>
  a.at.getTime() - b.at.getTime() ||
  FREQUENCIES.indexOf(a.frequency) - FREQUENCIES.indexOf(b.frequency) ||
  a.date.localeCompare(b.date);

/**
 * The slots in (after, until], oldest first, at most `limit` distinct instants' worth (all the
 * slots of the last instant are included). Each (frequency, zone) is its own occurrence chain.
 */
export function slotsBetween(
  after: Date,
  until: Date,
  schedule: ZoneSchedule,
  plan: ZonePlan,
  limit: number,
): Slot[] {
  const found = new Map<string, Slot>();
  for (const [f, zones] of plan) {
    for (const zone of zones.keys()) {
      let n = 0;
      for (const o of occurrencesAfter(after, { cron: schedule.crons[f], tz: zone })) {
        if (o.at.getTime() > until.getTime() || n++ >= limit) break;
        addTo(found, f, o, zone);
      }
    }
  }
  const all = [...found.values()].sort(byTime);
  const instants = [...new Set(all.map((s) => s.at.getTime()))].slice(0, limit);
  const last = instants[instants.length - 1];
  return last === undefined ? [] : all.filter((s) => s.at.getTime() <= last);
}

/** Every slot at the earliest instant strictly after `after` (several frequencies may share it). */
export function nextSlots(after: Date, schedule: ZoneSchedule, plan: ZonePlan): Slot[] {
  const firsts: Slot[] = [];
  for (const [f, zones] of plan) {
    for (const zone of zones.keys()) {
      const o = occurrencesAfter(after, { cron: schedule.crons[f], tz: zone }).next()
        .value as Occurrence;
      firsts.push({ frequency: f, date: o.date, at: o.at, zones: [zone] });
    }
  }
  const min = Math.min(...firsts.map((s) => s.at.getTime()));
  const found = new Map<string, Slot>();
  for (const s of firsts) if (s.at.getTime() === min) addTo(found, s.frequency, s, s.zones[0]!);
  return [...found.values()].sort(byTime);
}

/**
 * The slots of one edition: each zone of its frequency at the cron's first wall time on the
 * edition's date there (as if the cron fired that day: a send by hand on another weekday), a
 * zone whose clocks skip that date having none. Oldest first.
 */
export function editionSlots(edition: Edition, schedule: ZoneSchedule, plan: ZonePlan): Slot[] {
  const found = new Map<string, Slot>();
  for (const zone of plan.get(edition.frequency)?.keys() ?? []) {
    const at = sendTimeOn(edition.date, { cron: schedule.crons[edition.frequency], tz: zone });
    if (at) addTo(found, edition.frequency, { date: edition.date, at }, zone);
  }
  return [...found.values()].sort(byTime);
}

/**
 * The zones of `plan` whose scheduled occurrence (the cron fires that date) of the edition is
 * at `at`: what a scheduled slot sends to when it fires. Empty: no longer in the schedule.
 */
export function scheduledZones(
  edition: Edition,
  at: Date,
  schedule: ZoneSchedule,
  plan: ZonePlan,
): string[] {
  const zones: string[] = [];
  for (const zone of plan.get(edition.frequency)?.keys() ?? []) {
    const cron = { cron: schedule.crons[edition.frequency], tz: zone };
    const o = occurrencesAfter(new Date(at.getTime() - 1), cron).next().value as Occurrence;
    if (o.date === edition.date && o.at.getTime() === at.getTime()) zones.push(zone);
  }
  return zones.sort();
}

/** The zones of `plan` sending `edition` at `at` whatever the cron says (a send by hand). */
export function slotZones(
  edition: Edition,
  at: Date,
  schedule: ZoneSchedule,
  plan: ZonePlan,
): string[] {
  return (
    editionSlots(edition, schedule, plan).find((s) => s.at.getTime() === at.getTime())?.zones ?? []
  );
}

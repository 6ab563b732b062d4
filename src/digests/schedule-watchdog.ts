import type { Job } from 'bullmq';
import type { Logger } from '../log.js';
import { jobIds, type BuildJob, type Queues } from '../queues.js';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import type { SubscriberGroups } from '../subscribers/subscriber-groups.js';
import { editionId } from './edition.js';
import { nextFiring, type Schedule } from './occurrences.js';
import {
  nextSlots,
  slotsBetween,
  zonePlan,
  type Slot,
  type ZonePlan,
  type ZoneSchedule,
} from './slots.js';

/*
 * The schedule's watchdog (README "The schedule"; src/digests/schedules.ts): releases the
 * slots missed while every process was down, makes sure the next slots and the next ingest
 * have their delayed jobs, and removes the jobs the schedule no longer has.
 */

/** Job names of the scheduled work, as the workers see them. */
export const SCHEDULED = {
  build: 'scheduled-build',
  ingest: 'scheduled-ingest',
  watchdog: 'schedule-watchdog',
} as const;

/**
 * Missed slots older than this are not enqueued one by one; the build path records each one it
 * gets as skipped when it is more than 24 hours late.
 */
const MISSED_LOOKBACK_MS = 92 * 86_400_000;

/** Missed send instants released per watchdog run; the next run goes on from the cursor. */
const MISSED_BATCH = 200;

/** `state` hash field: the latest slot instant (ms) released to the build queue. */
const CURSOR_FIELD = 'scheduleCursor';

/** Moves the cursor forward only: concurrent watchdogs and fires never move it back. */
const advanceCursorScript = luaCommand(
  new URL('./lua/schedule-advance-cursor.lua', import.meta.url),
  1,
);

/** What the scheduler and its watchdog work with (src/digests/schedules.ts). */
export interface SchedulerDeps {
  redis: RedisClient;
  keys: Keys;
  queues: Pick<Queues, 'build' | 'ingest'>;
  /** The frequencies, their crons, DIGEST_TZ and DIGEST_LOCAL_TIME (config.digest). */
  schedule: ZoneSchedule;
  /** INGEST_CRON, in DIGEST_TZ. */
  ingest: Schedule;
  /** The zones in use, from the subscriber group index (migrated at start). */
  groups: Pick<SubscriberGroups, 'counts' | 'migrate'>;
  log: Logger;
  now?: () => Date;
}

export interface WatchdogReport {
  /** The slots at the next send instant. */
  next: Slot[];
  /** Slots whose time had passed without a job, enqueued now. */
  missed: Slot[];
  /** What was wrong and put right. */
  repairs: string[];
}

/** How a slot is named in job ids, logs and repairs: `weekly/2026-03-09@2026-03-09T09:00:00.000Z`. */
export const slotName = (s: Pick<Slot, 'frequency' | 'date' | 'at'>) =>
  `${editionId(s)}@${s.at.toISOString()}`;

/** A slot's build job payload (ids and the instant only, README guarantee 7). */
const buildPayload = (s: Slot): BuildJob => ({
  frequency: s.frequency,
  date: s.date,
  trigger: 'schedule',
  scheduledAt: s.at.toISOString(),
});

/** A slot's deterministic job id. */
const idOf = (s: Slot) => jobIds.slot(s.frequency, s.date, s.at.getTime());

/** Where each zone in use sends, from the subscriber group index. */
async function plan(deps: SchedulerDeps): Promise<ZonePlan> {
  return zonePlan(deps.schedule, (await deps.groups.counts()).keys());
}

/** The latest slot instant released (undefined: the very first start). */
async function cursor(deps: SchedulerDeps): Promise<number | undefined> {
  const v = await deps.redis.hget(deps.keys.state, CURSOR_FIELD);
  return v === null ? undefined : Number(v);
}

/** Moves the schedule cursor to `ms`, never back. */
export async function advanceCursor(deps: SchedulerDeps, ms: number) {
  await advanceCursorScript(deps.redis, [deps.keys.state], [CURSOR_FIELD, ms]);
}

/** Adds the build job of slot `s`, due at its time; a no-op when its id exists already. */
async function addBuild(deps: SchedulerDeps, s: Slot, at: number) {
  const delay = Math.max(0, s.at.getTime() - at);
  await deps.queues.build.add(SCHEDULED.build, buildPayload(s), { jobId: idOf(s), delay });
}

/**
 * Slots in (cursor, t] released to the build queue now, at most MISSED_LOOKBACK_MS back and
 * MISSED_BATCH instants per run (the next run goes on from the cursor). A first start (no
 * cursor) catches up nothing from before it.
 */
async function releaseMissed(
  deps: SchedulerDeps,
  t: number,
  p: ZonePlan,
  repairs: string[],
): Promise<Slot[]> {
  const stored = await cursor(deps);
  if (stored === undefined) await advanceCursor(deps, t);
  const from = stored ?? t;
  const after = Math.max(from, t - MISSED_LOOKBACK_MS);
  if (from < after) {
    const span = `${new Date(from).toISOString()} .. ${new Date(after).toISOString()}`;
    repairs.push(`slots in ${span} are too old to catch up or record`);
  }
  const missed = slotsBetween(new Date(after), new Date(t), deps.schedule, p, MISSED_BATCH);
  for (const s of missed) {
    const existing = await deps.queues.build.getJob(idOf(s));
    if (!existing) repairs.push(`missed ${slotName(s)}: enqueued now`);
    await addBuild(deps, s, t);
    await advanceCursor(deps, s.at.getTime());
  }
  return missed;
}

/** Makes sure each slot of the next instant has its job. */
async function ensureNext(
  deps: SchedulerDeps,
  next: Slot[],
  t: number,
  repairs: string[],
  first: boolean,
) {
  for (const s of next) {
    if (await deps.queues.build.getJob(idOf(s))) continue;
    if (!first) repairs.push(`no job for the next slot ${slotName(s)}: enqueued`);
    await addBuild(deps, s, t);
  }
}

/**
 * Removes delayed scheduled builds for times after `t` other than the next slots: the
 * schedule changed (a cron, a zone no longer in use), or an earlier version's job.
 * (Those at or before `t` are released slots, left to run.)
 */
async function removeStale(deps: SchedulerDeps, next: Slot[], t: number, repairs: string[]) {
  const keep = new Set(next.map(idOf));
  const delayed: Job<BuildJob>[] = await deps.queues.build.getJobs(['delayed'], 0, 500);
  for (const job of delayed) {
    if (job.name !== SCHEDULED.build || keep.has(job.id ?? '')) continue;
    const at = Date.parse(job.data.scheduledAt ?? '');
    if (at > t) {
      repairs.push(`job ${job.id} (${job.data.scheduledAt}) is not in the schedule: removed`);
      await job.remove();
    }
  }
}

/** The ingest chain: one delayed job at INGEST_CRON's next firing, stale ones removed. */
export async function ensureIngest(deps: SchedulerDeps, t: number, repairs: string[]) {
  const at = nextFiring(new Date(t), deps.ingest).getTime();
  const id = jobIds.ingest(at);
  const delayed = await deps.queues.ingest.getJobs(['delayed'], 0, 500);
  for (const job of delayed) {
    if (job.name === SCHEDULED.ingest && job.id !== id) {
      repairs.push(`ingest job ${job.id} is not in the schedule: removed`);
      await job.remove();
    }
  }
  if (!(await deps.queues.ingest.getJob(id))) {
    await deps.queues.ingest.add(
      SCHEDULED.ingest,
      { scheduledAt: new Date(at).toISOString() },
      { jobId: id, delay: Math.max(0, at - t) },
    );
  }
}

/**
 * The watchdog: releases missed slots, checks the upcoming ones, removes stale jobs and
 * keeps the ingest chain going. Safe to run in many processes at once (deterministic ids, a
 * cursor that only moves forward). Logs what it repaired. `t`: now (ms).
 */
export async function checkSchedule(deps: SchedulerDeps, t: number): Promise<WatchdogReport> {
  const repairs: string[] = [];
  const p = await plan(deps);
  // The very first start has no job yet: enqueuing it is no repair.
  const first = (await cursor(deps)) === undefined;
  const missed = await releaseMissed(deps, t, p, repairs);
  // Never before the cursor: a fire seen a little early (clock skew) must still move on.
  const released = Math.max(t, (await cursor(deps)) ?? t);
  const next = nextSlots(new Date(released), deps.schedule, p);
  await ensureNext(deps, next, t, repairs, first);
  await removeStale(deps, next, released, repairs);
  await ensureIngest(deps, t, repairs);
  const names = next.map(slotName);
  if (repairs.length > 0) deps.log.warn({ repairs, next: names }, 'schedule repaired');
  else deps.log.debug({ next: names }, 'schedule checked');
  return { next, missed, repairs };
}

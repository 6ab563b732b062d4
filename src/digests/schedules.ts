import type { Job } from 'bullmq';
import type { Logger } from '../log.js';
import { jobIds, LEGACY_SCHEDULERS, SCHEDULER, type BuildJob, type Queues } from '../queues.js';
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

/**
 * The schedule that cannot stop (README "The schedule"). Every slot (a frequency, a date and
 * an instant: the zones whose cron reaches that date's send time then, src/digests/slots.ts)
 * is one delayed build job with a deterministic id (`slot-<frequency>-<date>-<ms>`); when it
 * fires, the next slots are enqueued before anything else runs, and a watchdog (at start,
 * hourly, and at every fire) checks that the upcoming slots have their jobs, repairs them if
 * not, and enqueues the slots missed while every process was down. INGEST_CRON runs the same
 * way (`ingest-<ms>` jobs). Nothing here depends on BullMQ's cron iterator.
 */

/** Job names of the scheduled work, as the workers see them. */
export const SCHEDULED = {
  build: 'scheduled-build',
  ingest: 'scheduled-ingest',
  watchdog: 'schedule-watchdog',
} as const;

/** How often the watchdog runs, besides at start and at every scheduled fire. */
export const WATCHDOG_EVERY_MS = 3_600_000;

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

export function createScheduler(deps: SchedulerDeps) {
  const { queues, log } = deps;
  const now = deps.now ?? (() => new Date());

  const buildPayload = (s: Slot): BuildJob => ({
    frequency: s.frequency,
    date: s.date,
    trigger: 'schedule',
    scheduledAt: s.at.toISOString(),
  });
  const idOf = (s: Slot) => jobIds.slot(s.frequency, s.date, s.at.getTime());

  async function plan(): Promise<ZonePlan> {
    return zonePlan(deps.schedule, (await deps.groups.counts()).keys());
  }

  async function cursor(): Promise<number | undefined> {
    const v = await deps.redis.hget(deps.keys.state, CURSOR_FIELD);
    return v === null ? undefined : Number(v);
  }

  async function advanceCursor(ms: number) {
    await advanceCursorScript(deps.redis, [deps.keys.state], [CURSOR_FIELD, ms]);
  }

  /** Adds the build job of slot `s`, due at its time; a no-op when its id exists already. */
  async function addBuild(s: Slot, at: number) {
    const delay = Math.max(0, s.at.getTime() - at);
    await queues.build.add(SCHEDULED.build, buildPayload(s), { jobId: idOf(s), delay });
  }

  /**
   * Slots in (cursor, t] released to the build queue now, at most MISSED_LOOKBACK_MS back and
   * MISSED_BATCH instants per run (the next run goes on from the cursor). A first start (no
   * cursor) catches up nothing from before it.
   */
  async function releaseMissed(t: number, p: ZonePlan, repairs: string[]): Promise<Slot[]> {
    const stored = await cursor();
    if (stored === undefined) await advanceCursor(t);
    const from = stored ?? t;
    const after = Math.max(from, t - MISSED_LOOKBACK_MS);
    if (from < after) {
      const span = `${new Date(from).toISOString()} .. ${new Date(after).toISOString()}`;
      repairs.push(`slots in ${span} are too old to catch up or record`);
    }
    const missed = slotsBetween(new Date(after), new Date(t), deps.schedule, p, MISSED_BATCH);
    for (const s of missed) {
      const existing = await queues.build.getJob(idOf(s));
      if (!existing) repairs.push(`missed ${slotName(s)}: enqueued now`);
      await addBuild(s, t);
      await advanceCursor(s.at.getTime());
    }
    return missed;
  }

  /** Makes sure each slot of the next instant has its job. */
  async function ensureNext(next: Slot[], t: number, repairs: string[], first: boolean) {
    for (const s of next) {
      if (await queues.build.getJob(idOf(s))) continue;
      if (!first) repairs.push(`no job for the next slot ${slotName(s)}: enqueued`);
      await addBuild(s, t);
    }
  }

  /**
   * Removes delayed scheduled builds for times after `t` other than the next slots: the
   * schedule changed (a cron, a zone no longer in use), or an earlier version's job.
   * (Those at or before `t` are released slots, left to run.)
   */
  async function removeStale(next: Slot[], t: number, repairs: string[]) {
    const keep = new Set(next.map(idOf));
    const delayed: Job<BuildJob>[] = await queues.build.getJobs(['delayed'], 0, 500);
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
  async function ensureIngest(t: number, repairs: string[]) {
    const at = nextFiring(new Date(t), deps.ingest).getTime();
    const id = jobIds.ingest(at);
    const delayed = await queues.ingest.getJobs(['delayed'], 0, 500);
    for (const job of delayed) {
      if (job.name === SCHEDULED.ingest && job.id !== id) {
        repairs.push(`ingest job ${job.id} is not in the schedule: removed`);
        await job.remove();
      }
    }
    if (!(await queues.ingest.getJob(id))) {
      await queues.ingest.add(
        SCHEDULED.ingest,
        { scheduledAt: new Date(at).toISOString() },
        { jobId: id, delay: Math.max(0, at - t) },
      );
    }
  }

  /**
   * The watchdog: releases missed slots, checks the upcoming ones, removes stale jobs and
   * keeps the ingest chain going. Safe to run in many processes at once (deterministic ids, a
   * cursor that only moves forward). Logs what it repaired.
   */
  async function check(): Promise<WatchdogReport> {
    const t = now().getTime();
    const repairs: string[] = [];
    const p = await plan();
    // The very first start has no job yet: enqueuing it is no repair.
    const first = (await cursor()) === undefined;
    const missed = await releaseMissed(t, p, repairs);
    // Never before the cursor: a fire seen a little early (clock skew) must still move on.
    const released = Math.max(t, (await cursor()) ?? t);
    const next = nextSlots(new Date(released), deps.schedule, p);
    await ensureNext(next, t, repairs, first);
    await removeStale(next, released, repairs);
    await ensureIngest(t, repairs);
    const names = next.map(slotName);
    if (repairs.length > 0) log.warn({ repairs, next: names }, 'schedule repaired');
    else log.debug({ next: names }, 'schedule checked');
    return { next, missed, repairs };
  }

  return {
    check,

    /**
     * At start: drops the BullMQ cron schedulers of earlier versions (their iterator is what
     * could stop), upserts the hourly watchdog (a fixed `every`, no cron), and runs it once.
     */
    async start(): Promise<WatchdogReport> {
      const indexed = await deps.groups.migrate();
      if (indexed > 0) log.info({ indexed }, 'subscriber groups indexed');
      await queues.build.removeJobScheduler(LEGACY_SCHEDULERS.digest);
      await queues.ingest.removeJobScheduler(LEGACY_SCHEDULERS.ingest);
      await queues.build.upsertJobScheduler(
        SCHEDULER.watchdog,
        { every: WATCHDOG_EVERY_MS },
        { name: SCHEDULED.watchdog, data: {} },
      );
      const report = await check();
      log.info(
        { next: report.next.map(slotName), missed: report.missed.length },
        'schedule started',
      );
      return report;
    },

    /**
     * A scheduled build job fired: moves the cursor past it and enqueues the next occurrence,
     * before the build runs. An error here is logged, never thrown: the build goes on, and
     * the watchdog tries again within the hour.
     */
    async fired(scheduledAt: string | undefined): Promise<void> {
      try {
        const at = Date.parse(scheduledAt ?? '');
        if (Number.isFinite(at)) await advanceCursor(at);
        await check();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'could not enqueue the next digest');
      }
    },

    /**
     * A scheduled ingest that was due at `firedAt` (ms) fired: the next one is enqueued
     * (errors logged, as in `fired`).
     */
    async ingestFired(firedAt: number): Promise<void> {
      try {
        const t = now().getTime();
        await ensureIngest(Number.isFinite(firedAt) ? Math.max(t, firedAt) : t, []);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'could not enqueue the next ingest');
      }
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;

import type { Job } from 'bullmq';
import type { Logger } from '../log.js';
import { jobIds, LEGACY_SCHEDULERS, SCHEDULER, type BuildJob, type Queues } from '../queues.js';
import { defineScript, type Keys, type RedisClient } from '../redis.js';
import {
  nextFiring,
  nextOccurrence,
  occurrencesBetween,
  type Occurrence,
  type Schedule,
} from './occurrences.js';

/**
 * The schedule that cannot stop (README "The schedule"). Every digest occurrence is one delayed
 * build job with a deterministic id (`scheduled-<date>`); when it fires, the next one is
 * enqueued before anything else runs, and a watchdog (at start, hourly, and at every fire)
 * checks that the upcoming occurrence has its job with the right payload, repairs it if not,
 * and enqueues the occurrences missed while every process was down. INGEST_CRON runs the same
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
 * Missed occurrences older than this are not enqueued one by one (at most one per day, so at
 * most this many days of jobs); the build path records each one it gets as skipped when it is
 * more than 24 hours late.
 */
const MISSED_LOOKBACK_MS = 92 * 86_400_000;

/** `state` hash field: the latest occurrence (ms) released to the build queue. */
const CURSOR_FIELD = 'scheduleCursor';

/** Moves the cursor forward only: concurrent watchdogs and fires never move it back. */
const advanceCursorScript = defineScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > cur then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end
return 0
`);

const LIVE = new Set(['delayed', 'waiting', 'prioritized', 'active', 'waiting-children']);

export interface SchedulerDeps {
  redis: RedisClient;
  keys: Keys;
  queues: Pick<Queues, 'build' | 'ingest'>;
  digest: Schedule;
  /** INGEST_CRON, in DIGEST_TZ. */
  ingest: Schedule;
  log: Logger;
  now?: () => Date;
}

export interface WatchdogReport {
  next: Occurrence;
  /** Occurrences whose time had passed without a job, enqueued now. */
  missed: Occurrence[];
  /** What was wrong and put right. */
  repairs: string[];
}

export function createScheduler(deps: SchedulerDeps) {
  const { queues, log } = deps;
  const now = deps.now ?? (() => new Date());

  const buildPayload = (o: Occurrence): BuildJob => ({
    date: o.date,
    trigger: 'schedule',
    scheduledAt: o.at.toISOString(),
  });

  async function cursor(): Promise<number | undefined> {
    const v = await deps.redis.hget(deps.keys.state, CURSOR_FIELD);
    return v === null ? undefined : Number(v);
  }

  async function advanceCursor(ms: number) {
    await advanceCursorScript(deps.redis, [deps.keys.state], [CURSOR_FIELD, ms]);
  }

  /** Adds the build job of `o`, due at its time; a no-op when its id exists already. */
  async function addBuild(o: Occurrence, at: number) {
    const delay = Math.max(0, o.at.getTime() - at);
    await queues.build.add(SCHEDULED.build, buildPayload(o), {
      jobId: jobIds.scheduled(o.date),
      delay,
    });
  }

  /**
   * Occurrences in (cursor, t] released to the build queue now, at most MISSED_LOOKBACK_MS
   * back. A first start (no cursor) catches up nothing from before it.
   */
  async function releaseMissed(t: number, repairs: string[]): Promise<Occurrence[]> {
    const stored = await cursor();
    if (stored === undefined) await advanceCursor(t);
    const from = stored ?? t;
    const after = Math.max(from, t - MISSED_LOOKBACK_MS);
    if (from < after) {
      const span = `${new Date(from).toISOString()} .. ${new Date(after).toISOString()}`;
      repairs.push(`occurrences in ${span} are too old to catch up or record`);
    }
    const missed = occurrencesBetween(new Date(after), new Date(t), deps.digest, 100);
    for (const o of missed) {
      const existing = await queues.build.getJob(jobIds.scheduled(o.date));
      if (!existing) repairs.push(`missed ${o.date} (${o.at.toISOString()}): enqueued now`);
      await addBuild(o, t);
      await advanceCursor(o.at.getTime());
    }
    return missed;
  }

  /** Makes sure the upcoming occurrence has its job, with the right payload. */
  async function ensureNext(next: Occurrence, t: number, repairs: string[], first: boolean) {
    const id = jobIds.scheduled(next.date);
    const job = await queues.build.getJob(id);
    if (job) {
      const state = await job.getState();
      const right = job.data.scheduledAt === next.at.toISOString();
      if (right || !LIVE.has(state)) return;
      if (state !== 'delayed') return; // running or about to: leave it be
      repairs.push(`job ${id} was for ${job.data.scheduledAt}: replaced`);
      await job.remove();
    } else if (!first) {
      repairs.push(`no job for the next digest ${next.date}: enqueued`);
    }
    await addBuild(next, t);
  }

  /**
   * Removes delayed scheduled builds for times after `t` other than the next occurrence: the
   * schedule changed. (Those at or before `t` are released occurrences, left to run.)
   */
  async function removeStale(next: Occurrence, t: number, repairs: string[]) {
    const delayed: Job<BuildJob>[] = await queues.build.getJobs(['delayed'], 0, 500);
    for (const job of delayed) {
      if (job.name !== SCHEDULED.build || job.id === jobIds.scheduled(next.date)) continue;
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
   * The watchdog: releases missed occurrences, checks the upcoming one, removes stale jobs and
   * keeps the ingest chain going. Safe to run in many processes at once (deterministic ids, a
   * cursor that only moves forward). Logs what it repaired.
   */
  async function check(): Promise<WatchdogReport> {
    const t = now().getTime();
    const repairs: string[] = [];
    // The very first start has no job yet: enqueuing it is no repair.
    const first = (await cursor()) === undefined;
    const missed = await releaseMissed(t, repairs);
    // Never before the cursor: a fire seen a little early (clock skew) must still move on.
    const released = Math.max(t, (await cursor()) ?? t);
    const next = nextOccurrence(new Date(released), deps.digest);
    await ensureNext(next, t, repairs, first);
    await removeStale(next, released, repairs);
    await ensureIngest(t, repairs);
    if (repairs.length > 0) log.warn({ repairs, next: next.date }, 'schedule repaired');
    else log.debug({ next: next.date, at: next.at.toISOString() }, 'schedule checked');
    return { next, missed, repairs };
  }

  return {
    check,

    /**
     * At start: drops the BullMQ cron schedulers of earlier versions (their iterator is what
     * could stop), upserts the hourly watchdog (a fixed `every`, no cron), and runs it once.
     */
    async start(): Promise<WatchdogReport> {
      await queues.build.removeJobScheduler(LEGACY_SCHEDULERS.digest);
      await queues.ingest.removeJobScheduler(LEGACY_SCHEDULERS.ingest);
      await queues.build.upsertJobScheduler(
        SCHEDULER.watchdog,
        { every: WATCHDOG_EVERY_MS },
        { name: SCHEDULED.watchdog, data: {} },
      );
      const report = await check();
      log.info(
        { next: report.next.date, at: report.next.at.toISOString(), missed: report.missed.length },
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

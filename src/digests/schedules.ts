import { LEGACY_SCHEDULERS, SCHEDULER } from '../queues.js';
import {
  advanceCursor,
  checkSchedule,
  ensureIngest,
  SCHEDULED,
  slotName,
  type SchedulerDeps,
  type WatchdogReport,
} from './schedule-watchdog.js';

export { SCHEDULED, slotName } from './schedule-watchdog.js';
export type { SchedulerDeps, WatchdogReport } from './schedule-watchdog.js';

/**
 * The schedule that cannot stop (README "The schedule"). Every slot (a frequency, a date and
 * an instant: the zones whose cron reaches that date's send time then, src/digests/slots.ts)
 * is one delayed build job with a deterministic id (`slot-<frequency>-<date>-<ms>`); when it
 * fires, the next slots are enqueued before anything else runs, and a watchdog (at start,
 * hourly, and at every fire) checks that the upcoming slots have their jobs, repairs them if
 * not, and enqueues the slots missed while every process was down. INGEST_CRON runs the same
 * way (`ingest-<ms>` jobs). Nothing here depends on BullMQ's cron iterator.
 *
 * The watchdog's steps (missed slots, next slots, stale jobs, the ingest chain) are in
 * `schedule-watchdog.ts`; this module starts it and answers the fires.
 */

/** How often the watchdog runs, besides at start and at every scheduled fire. */
export const WATCHDOG_EVERY_MS = 3_600_000;

export function createScheduler(deps: SchedulerDeps) {
  const { queues, log } = deps;
  const now = deps.now ?? (() => new Date());

  /** The watchdog, run now (see checkSchedule). */
  const check = async (): Promise<WatchdogReport> => checkSchedule(deps, now().getTime());

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
        if (Number.isFinite(at)) await advanceCursor(deps, at);
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
        await ensureIngest(deps, Number.isFinite(firedAt) ? Math.max(t, firedAt) : t, []);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'could not enqueue the next ingest');
      }
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;

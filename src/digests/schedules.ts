import type { Config } from '../config.js';
import { SCHEDULER, type Queues } from '../queues.js';
import { currentDigestDate, type DigestSchedule } from './digest-window.js';

/**
 * Upserts the two job schedulers under stable ids, so every worker start (redeploys, many
 * processes) keeps exactly one weekly digest schedule and one ingest schedule, updated in place
 * when DIGEST_CRON, DIGEST_TZ or INGEST_CRON change.
 */
export async function upsertSchedules(queues: Pick<Queues, 'build' | 'ingest'>, config: Config) {
  await queues.build.upsertJobScheduler(
    SCHEDULER.digest,
    { pattern: config.digest.cron, tz: config.digest.tz },
    { name: 'scheduled-build', data: {} },
  );
  await queues.ingest.upsertJobScheduler(
    SCHEDULER.ingest,
    { pattern: config.ingestCron, tz: config.digest.tz },
    { name: 'scheduled-ingest', data: {} },
  );
}

/**
 * The date of the digest a scheduler job was fired for: the local date of its occurrence
 * (`prevMillis`, set by BullMQ's job scheduler), even when the job runs late.
 */
export function scheduledDigestDate(
  job: { prevMillis?: number; timestamp: number },
  schedule: DigestSchedule,
): string {
  return currentDigestDate(new Date(job.prevMillis ?? job.timestamp), schedule);
}

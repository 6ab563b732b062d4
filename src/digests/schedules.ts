import type { Config } from '../config.js';
import { SCHEDULER, type Queues } from '../queues.js';

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

import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { runBuildJob } from '../src/digests/build-job.js';
import { SCHEDULED } from '../src/digests/schedules.js';
import { nextDigestDate } from '../src/digests/digest-window.js';
import { parseEdition } from '../src/digests/edition.js';
import { digestKey } from '../src/digests/fan-out.js';
import { jobFeed, reportIngestProgress } from '../src/feeds/ingest-jobs.js';
import { DigestNotSendableError } from '../src/delivery/send-batch.js';
import { preflightSmtp } from '../src/mail/preflight.js';
import { BuildJob, buildJobFrequency, QUEUE, SendJob } from '../src/queues.js';
import type { Services } from '../src/services.js';

/** How long the whole send queue pauses when an SMTP server says "slow down" (421, 4.7.x). */
const THROTTLE_PAUSE_MS = 5_000;

/** Stalls (worker died mid-job) before BullMQ fails a build or send job for good. */
const MAX_STALLS = 20;

/** A limiter no sender reaches (a million batches a second): it only makes the pause global. */
const THROTTLE_LIMITER = { max: 1_000_000, duration: 1_000 };

/**
 * Starts the ingest, build and send workers in this process, and starts the schedule
 * (src/digests/schedules.ts).
 * Processors are thin: they parse the payload and call into src/. `close()` stops taking jobs,
 * lets the jobs in flight finish, and closes the connections it opened.
 */
export async function startWorkers(services: Services, opts: { schedules?: boolean } = {}) {
  const { config, log, queues } = services;
  const connection = services.bullConnection;
  const prefix = config.redis.prefix;
  const schedule = config.digest;
  const { scheduler } = services;
  await services.migrate();
  if (opts.schedules !== false) await scheduler.start();

  // A job whose worker died comes back within a lease (at most BullMQ's default 30 s), when
  // its ledger claims can be taken over. BullMQ fails a job for good after one stall by
  // default: a build or batch whose worker was killed twice would never finish. Rerunning
  // either is safe (the stored fan-out cursor, the ledger), so allow many.
  const recovery = {
    lockDuration: Math.min(30_000, services.ledger.leaseMs),
    stalledInterval: Math.min(30_000, services.ledger.leaseMs),
    maxStalledCount: MAX_STALLS,
  };

  const ingestWorker = new Worker(
    QUEUE.ingest,
    async (job: Job) => {
      // The next scheduled ingest is enqueued first, whatever this one does.
      if (job.name === SCHEDULED.ingest) {
        await scheduler.ingestFired(
          Date.parse((job.data as { scheduledAt?: string }).scheduledAt ?? ''),
        );
      }
      const results = await services.ingest.ingestAll({ onProgress: reportIngestProgress(job) });
      return results.map(jobFeed);
    },
    { connection, prefix, concurrency: 1 },
  );

  const buildDeps = {
    redis: services.redis,
    keys: services.keys,
    digests: services.digests,
    posts: services.posts,
    subscribers: services.subscribers,
    groups: services.groups,
    zones: services.zones,
    variants: services.variants,
    sendQueue: queues.send,
    buildQueue: queues.build,
    schedule,
    maxPosts: config.digest.maxPosts,
    batchSize: config.send.batchSize,
    preflight: () => preflightSmtp(services.mailer()),
    retry: { failures: services.ledger.failures },
    holdDelayMs: config.digest.preflightRetryDelayMs,
  };
  const buildWorker = new Worker(
    QUEUE.build,
    async (job: Job, token?: string) => {
      if (job.name === SCHEDULED.watchdog) return scheduler.check();
      const data = BuildJob.parse(job.data);
      // A scheduled occurrence enqueues the next one before it builds (README "The schedule").
      if (job.name === SCHEDULED.build) await scheduler.fired(data.scheduledAt);
      const out = await runBuildJob({ ...buildDeps, log: log.child({ job: job.id }) }, data, () =>
        nextDigestDate(new Date(), {
          cron: schedule.crons[buildJobFrequency(data)],
          tz: schedule.tz,
        }),
      );
      if ('retryInMs' in out) {
        // Held (SMTP preflight failed): run again later without using up an attempt.
        await job.moveToDelayed(Date.now() + out.retryInMs, token);
        throw new DelayedError();
      }
      return out.result;
    },
    { connection, prefix, concurrency: 2, ...recovery },
  );

  const sender = services.batchSender();
  const sendWorker: Worker = new Worker(
    QUEUE.send,
    async (job: Job, token?: string) => {
      const data = SendJob.parse(job.data);
      const edition = parseEdition(data.edition, schedule.defaultFrequency);
      const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      let out;
      try {
        out = await sender.send(digestKey(edition), data.ids, finalAttempt);
      } catch (err) {
        if (err instanceof DigestNotSendableError) throw new UnrecoverableError(err.message);
        throw err;
      }
      // Per-zone progress (runs --json, the dashboard): what this run settled, once each.
      if (data.zone) await services.zones.count(edition, data.zone, out);
      if (out.throttled > 0) {
        // The server asked us to slow down: pause the queue and put the job back without
        // using up an attempt; the released recipients are claimed again on the rerun.
        log.warn(
          { digest: data.edition, job: job.id, throttled: out.throttled },
          'SMTP throttling; pausing sends',
        );
        await queues.send.rateLimit(THROTTLE_PAUSE_MS);
        throw Worker.RateLimitError();
      }
      if (out.held > 0) {
        // Another sender's lease still holds some recipients (a worker that died mid-batch):
        // come back when it has expired, without using up an attempt.
        await job.moveToDelayed(Date.now() + services.ledger.leaseMs, token);
        throw new DelayedError();
      }
      if (out.transient > 0) {
        throw new Error(
          `${out.transient} of ${data.ids.length} recipients failed for now; retrying`,
        );
      }
      return out;
    },
    {
      connection,
      prefix,
      // Two batches at once, so one batch's Redis round trips overlap the other's SMTP.
      concurrency: 2,
      ...recovery,
      // Not a rate limit (SEND_RATE is per message, in src/delivery/rate-limit.ts): BullMQ only
      // honours queue.rateLimit() (a 421 above) in workers that have a limiter; without one,
      // other workers and this worker's other slot keep taking jobs during the pause.
      limiter: THROTTLE_LIMITER,
    },
  );

  for (const w of [ingestWorker, buildWorker, sendWorker]) {
    w.on('failed', (job, err) =>
      log.warn({ queue: w.name, job: job?.id, err: err.message }, 'job failed'),
    );
    w.on('error', (err) => log.error({ queue: w.name, err: err.message }, 'worker error'));
  }
  log.info({ queues: Object.values(QUEUE) }, 'workers started');

  return {
    workers: { ingest: ingestWorker, build: buildWorker, send: sendWorker },
    async close() {
      await Promise.all([ingestWorker.close(), buildWorker.close(), sendWorker.close()]);
    },
  };
}

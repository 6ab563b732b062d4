import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { isDigestDate } from './digests/digest-window.js';

/**
 * The three BullMQ queues, their job payloads and default options. Payloads carry ids, never
 * addresses or tokens (README guarantee 7); handlers reload state from the stores.
 */
export const QUEUE = { ingest: 'ingest', build: 'build', send: 'send' } as const;

/** Job scheduler ids: stable, so redeploys and many workers upsert one schedule each. */
export const SCHEDULER = { watchdog: 'schedule-watchdog' } as const;

/** The cron schedulers of earlier versions, removed at start (src/digests/schedules.ts). */
export const LEGACY_SCHEDULERS = { digest: 'weekly-digest', ingest: 'hourly-ingest' } as const;

const date = z.string().refine(isDigestDate, 'must be a date like 2026-03-02');

/**
 * A build job. `trigger` says who asked: the schedule (an occurrence of DIGEST_CRON: one with no
 * posts, or missed by more than 24 hours, is recorded `skipped`; a failed SMTP preflight holds
 * it and retries) or an admin (absent or 'manual': `digest send`, the dashboard; refused before
 * it is queued when there is nothing to send). `retryFailed` re-sends the date's temporary
 * failures instead of building.
 */
export const BuildJob = z.object({
  date: date.optional(),
  trigger: z.enum(['manual', 'schedule']).optional(),
  /** The occurrence's instant (ISO), for a scheduled build. */
  scheduledAt: z.iso.datetime({ offset: true }).optional(),
  force: z.boolean().optional(),
  retryFailed: z.boolean().optional(),
});
export type BuildJob = z.infer<typeof BuildJob>;

export const SendJob = z.object({
  date,
  ids: z.array(z.number().int().positive()).min(1),
});
export type SendJob = z.infer<typeof SendJob>;

/** BullMQ custom job ids may not contain ':'; these are deterministic so re-adds are no-ops. */
export const jobIds = {
  build: (d: string) => `digest-${d}`,
  /** The scheduled occurrence of date d (apart from a manual trigger's job of the same date). */
  scheduled: (d: string) => `scheduled-${d}`,
  /** The scheduled ingest due at `ms`. */
  ingest: (ms: number) => `ingest-${ms}`,
  /** A build by hand: a new job each time (the build itself is idempotent per date). */
  manualBuild: (d: string, atMs: number) => `manual-${d}-${atMs}`,
  retryFailed: (d: string, atMs: number) => `retry-${d}-${atMs}`,
  /** Send jobs of a retry by hand: `round` keeps them apart from the first pass's job ids. */
  retrySend: (d: string, round: number, firstId: number) => `send-${d}-r${round}-${firstId}`,
  send: (d: string, firstId: number) => `send-${d}-${firstId}`,
};

export function createQueues(
  connection: ConnectionOptions,
  prefix: string,
  send: { attempts: number; retryDelayMs: number },
) {
  const ingest = new Queue(QUEUE.ingest, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: 100, removeOnFail: 500, attempts: 1 },
  });
  const build = new Queue<BuildJob>(QUEUE.build, {
    connection,
    prefix,
    defaultJobOptions: {
      removeOnComplete: 1000,
      removeOnFail: 1000,
      attempts: 10,
      backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 },
    },
  });
  const sendQueue = new Queue<SendJob>(QUEUE.send, {
    connection,
    prefix,
    defaultJobOptions: {
      // Completed send jobs are dropped at once: at a million subscribers they would hold
      // ~10k job hashes. The ledger, not the job, is the record of a delivery.
      removeOnComplete: true,
      removeOnFail: 5000,
      attempts: send.attempts,
      // 4xx replies and network errors: exponential backoff with jitter, so many workers
      // retrying after an SMTP outage do not all come back at the same instant.
      backoff: { type: 'exponential', delay: send.retryDelayMs, jitter: 0.5 },
    },
  });
  return {
    ingest,
    build,
    send: sendQueue,
    async close() {
      await Promise.all([ingest.close(), build.close(), sendQueue.close()]);
    },
  };
}

export type Queues = ReturnType<typeof createQueues>;

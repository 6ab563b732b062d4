import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { isDigestDate } from './digests/digest-window.js';
import { editionId, isEditionId } from './digests/edition.js';
import { FREQUENCIES, type Frequency } from './digests/frequency.js';

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
 * What a job queued by an earlier version names without a frequency: its only digest, the
 * weekly one (README "edition": a bare date is the weekly edition of that date).
 */
export const LEGACY_FREQUENCY: Frequency = 'weekly';

/**
 * A build job, for one edition (a frequency and a date; a job of an earlier version without a
 * frequency is the weekly edition: LEGACY_FREQUENCY). `trigger` says who asked: the schedule (a
 * slot: one with no posts, or missed by more than 24 hours, is recorded `skipped`; a failed
 * SMTP preflight holds it and retries) or an admin (absent or 'manual': `digest send`, the
 * dashboard; refused before it is queued when there is nothing to send). With `scheduledAt`
 * the job is one slot: it builds the edition if not built and fans out the zones whose send
 * instant that is. Without it (a send by hand) it builds and fans out each zone whose instant
 * has passed, leaving a slot job for each later one; `now` fans out every zone at once.
 * `retryFailed` re-sends the edition's temporary failures instead of building.
 */
export const BuildJob = z.object({
  frequency: z.enum(FREQUENCIES).optional(),
  date: date.optional(),
  trigger: z.enum(['manual', 'schedule']).optional(),
  /** The slot's instant (ISO). */
  scheduledAt: z.iso.datetime({ offset: true }).optional(),
  force: z.boolean().optional(),
  now: z.boolean().optional(),
  retryFailed: z.boolean().optional(),
});
export type BuildJob = z.infer<typeof BuildJob>;

/** The frequency a build job is for: its own, or LEGACY_FREQUENCY for an earlier version's. */
export function buildJobFrequency(job: Pick<BuildJob, 'frequency'>): Frequency {
  return job.frequency ?? LEGACY_FREQUENCY;
}

const CurrentSendJob = z.object({
  edition: z.string().refine(isEditionId, 'must be an edition like weekly/2026-03-02'),
  ids: z.array(z.number().int().positive()).min(1),
  zone: z.string().min(1).max(64).optional(),
});

/** A send job of an earlier version, `{ date, ids }`: the weekly edition of that date. */
const LegacySendJob = z
  .object({ date, ids: CurrentSendJob.shape.ids })
  .transform((j): z.output<typeof CurrentSendJob> => ({
    edition: editionId({ frequency: LEGACY_FREQUENCY, date: j.date }),
    ids: j.ids,
  }));

/**
 * One batch of an edition's recipients: ids only (README guarantee 7). `zone` names the time
 * zone they were fanned out for (per-zone progress); it is not about any one recipient. A job
 * queued by an earlier version (`{ date, ids }`) reads as the weekly edition's.
 */
export const SendJob = z.union([CurrentSendJob, LegacySendJob]);
export type SendJob = z.output<typeof SendJob>;

/** An edition id or a date as it may stand in a job id (no '/', no ':'). */
const idPart = (s: string) => s.replace(/[/:]/g, '-');

/** BullMQ custom job ids may not contain ':'; these are deterministic so re-adds are no-ops. */
export const jobIds = {
  build: (d: string) => `digest-${idPart(d)}`,
  /** A scheduled slot: one frequency's edition of date `d` at the instant `ms`. */
  slot: (f: string, d: string, ms: number) => `slot-${f}-${d}-${ms}`,
  /** A later zone's slot of a send by hand (apart from the scheduler's own job of that slot). */
  manualSlot: (f: string, d: string, ms: number) => `mslot-${f}-${d}-${ms}`,
  /** The scheduled ingest due at `ms`. */
  ingest: (ms: number) => `ingest-${ms}`,
  /** A build by hand: a new job each time (the build itself is idempotent per edition). */
  manualBuild: (e: string, atMs: number) => `manual-${idPart(e)}-${atMs}`,
  retryFailed: (e: string, atMs: number) => `retry-${idPart(e)}-${atMs}`,
  /** Send jobs of a retry by hand: `round` keeps them apart from the first pass's job ids. */
  retrySend: (e: string, round: number, firstId: number) =>
    `send-${idPart(e)}-r${round}-${firstId}`,
  /**
   * A fan-out batch: the slot (its instant) and the group's place in it keep two slots, or two
   * groups, whose pages start at one id (a subscriber who moved meanwhile) apart.
   */
  send: (e: string, slotMs: number, group: number, firstId: number) =>
    `send-${idPart(e)}-${slotMs}-g${group}-${firstId}`,
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

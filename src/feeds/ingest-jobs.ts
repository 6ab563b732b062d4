import type { Job, Queue } from 'bullmq';
import type { IngestProgress, IngestResult } from './ingest.js';

/** One feed's outcome, as a job's progress and result carry it (small: no post data). */
export type IngestJobFeed =
  | { feed: string; ok: true; new: number; updated: number }
  | { feed: string; ok: false; error: string };

/** What the admin page shows of an ingest job. */
export interface IngestJobView {
  id: string;
  /** BullMQ's state: waiting (no worker has taken it yet), active, completed, failed. */
  state: string;
  total?: number;
  done: number;
  feeds: IngestJobFeed[];
  error?: string;
}

/** The progress an ingest job reports after each feed. */
export interface IngestJobProgress {
  total: number;
  done: number;
  feeds: IngestJobFeed[];
}

export function jobFeed(r: IngestResult): IngestJobFeed {
  return r.ok
    ? { feed: r.feed, ok: true, new: r.new, updated: r.updated }
    : { feed: r.feed, ok: false, error: r.error };
}

/**
 * A progress listener for `ingestAll` inside a worker: each finished feed becomes the job's
 * progress, so any HTTP process can show it while the job runs.
 */
export function reportIngestProgress(job: Pick<Job, 'updateProgress'>) {
  const feeds: IngestJobFeed[] = [];
  return async (p: IngestProgress) => {
    feeds.push(jobFeed(p.result));
    await job.updateProgress({ total: p.total, done: p.done, feeds } satisfies IngestJobProgress);
  };
}

/**
 * "Fetch all feeds now" from the web: a job on the ingest queue (run by the ingest worker, the
 * same path as INGEST_CRON), so the request returns at once and the page follows its progress.
 * A click while one is waiting or running joins that one (BullMQ deduplication).
 */
export function createIngestJobs(queue: Pick<Queue, 'add' | 'getJob'>) {
  return {
    async start(): Promise<string> {
      const job = await queue.add('ingest-now', {}, { deduplication: { id: 'ingest-now' } });
      return job.id!;
    },

    async get(id: string): Promise<IngestJobView | undefined> {
      const job = await queue.getJob(id);
      if (!job) return undefined;
      const state = await job.getState();
      const progress = (typeof job.progress === 'object' ? job.progress : {}) as
        Partial<IngestJobProgress> | undefined;
      const result = Array.isArray(job.returnvalue)
        ? (job.returnvalue as IngestJobFeed[])
        : undefined;
      const feeds = result ?? progress?.feeds ?? [];
      return {
        id,
        state,
        total: result ? result.length : progress?.total,
        done: result ? result.length : (progress?.done ?? 0),
        feeds,
        ...(job.failedReason ? { error: job.failedReason } : {}),
      };
    },
  };
}

export type IngestJobs = ReturnType<typeof createIngestJobs>;

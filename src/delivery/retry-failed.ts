import type { Queue } from 'bullmq';
import type { DigestStore } from '../digests/digest-store.js';
import type { Logger } from '../log.js';
import { jobIds, type SendJob } from '../queues.js';
import type { LedgerFailures } from './ledger-failures.js';

export interface RetryFailedDeps {
  failures: Pick<LedgerFailures, 'temporaryFailures' | 'reopen'>;
  digests: Pick<DigestStore, 'nextRetryRound' | 'completeIfDone'>;
  sendQueue: Pick<Queue<SendJob>, 'addBulk'>;
  batchSize: number;
  log: Logger;
}

/**
 * `digest send --date D --retry-failed`: re-sends the deliveries of edition D that failed with a
 * temporary cause (network, 4xx, attempts used up), never those sent, bounced or refused with
 * a 5xx. Pages through the ledger (HSCAN), reopens each page's temporary failures with a
 * compare-and-set (two retries at once reopen each delivery once), and queues ordinary send
 * jobs for them: the sender checks each subscriber is confirmed now and claims them in the
 * ledger before SMTP, as in the first pass. Entries a crashed retry reopened but may not have
 * queued (`r:retry`) are queued again; the ledger claim keeps them single.
 */
export async function retryFailedDeliveries(
  deps: RetryFailedDeps,
  date: string,
  /** The edition id the send jobs name (`weekly/2026-12-07`). */
  edition: string,
): Promise<{ retried: number }> {
  const round = await deps.digests.nextRetryRound(date);
  let cursor = '0';
  let retried = 0;
  do {
    const page = await deps.failures.temporaryFailures(date, cursor);
    cursor = page.cursor;
    const moved = await deps.failures.reopen(date, page.ids);
    const ids = [...moved, ...page.reopened].sort((a, b) => a - b);
    const jobs = [];
    for (let i = 0; i < ids.length; i += deps.batchSize) {
      const batch = ids.slice(i, i + deps.batchSize);
      jobs.push({
        name: 'send',
        data: { edition, ids: batch },
        opts: { jobId: jobIds.retrySend(date, round, batch[0]!) },
      });
    }
    if (jobs.length) await deps.sendQueue.addBulk(jobs);
    retried += moved.length;
  } while (cursor !== '0');
  // Nothing reopened here (a concurrent retry took them all) may leave nothing to wait for.
  await deps.digests.completeIfDone(date, new Date());
  deps.log.info({ digest: date, retried, round }, 'retrying temporary failures');
  return { retried };
}

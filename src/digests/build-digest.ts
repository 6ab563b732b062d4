import type { Queue } from 'bullmq';
import type { Logger } from '../log.js';
import type { PostStore } from '../feeds/post-store.js';
import type { Renderer } from '../render/render-digest.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import { jobIds, type SendJob } from '../queues.js';
import { digestWindow } from './digest-window.js';
import type { DigestStore } from './digest-store.js';
import { LATE_ARRIVAL_DAYS, selectPosts } from './select-posts.js';

const DAY_MS = 86_400_000;

/** Subscribers read per fan-out page; each page becomes pageSize / batchSize send jobs. */
const FANOUT_PAGE = 2_000;

export interface BuildDeps {
  digests: DigestStore;
  posts: Pick<PostStore, 'listPublishedBetween' | 'markUsed'>;
  subscribers: Pick<SubscriberStore, 'maxId' | 'pageIds'>;
  renderer: Pick<Renderer, 'renderDigest'>;
  sendQueue: Pick<Queue<SendJob>, 'addBulk'>;
  schedule: { cron: string; tz: string };
  maxPosts: number;
  batchSize: number;
  log: Logger;
  now?: () => Date;
  /**
   * When a subscriber's copy should leave, in ms from now. Always 0 today; the hook keeps the
   * way open for local-time delivery (a send job may carry a delay).
   */
  delayFor?: (subscriberId: number) => number;
}

export type BuildResult = {
  date: string;
  status: 'empty' | 'sending' | 'done';
  recipients: number;
};

/**
 * Builds the digest of `date` and fans it out. Idempotent and resumable: the digest is created
 * once, its content stored once (first builder wins), its posts marked used, and fan-out resumes
 * from the stored cursor. Running it again for the same date sends nothing new (README guarantee 1).
 */
export async function buildDigest(deps: BuildDeps, date: string): Promise<BuildResult> {
  const now = deps.now ?? (() => new Date());
  const window = digestWindow(date, deps.schedule);
  const log = deps.log.child({ digest: date });
  if (await deps.digests.create(window, now())) log.info('digest created');

  let digest = await deps.digests.getSummary(date);
  if (!digest) throw new Error(`digest ${date} vanished while building`);
  if (!digest.builtAt) {
    const previousBuiltAt = await deps.digests.previousBuiltAt(window.sendAt);
    const candidates = await deps.posts.listPublishedBetween(
      window.sendAt.getTime() - LATE_ARRIVAL_DAYS * DAY_MS,
      window.windowEnd.getTime(),
    );
    const chosen = selectPosts({ candidates, window, previousBuiltAt, maxPosts: deps.maxPosts });
    // MJML runs here, once per digest (README guarantee 5); recipients get placeholders filled later.
    const content = chosen.length
      ? await deps.renderer.renderDigest({ date, posts: chosen, window })
      : { subject: '', html: '', text: '' };
    const stored = await deps.digests.storeContent(
      date,
      { ...content, postIds: chosen.map((p) => p.id) },
      chosen.length ? 'sending' : 'empty',
      now(),
    );
    log.info(
      { posts: chosen.length, stored },
      stored ? 'digest rendered' : 'another builder stored it first',
    );
    digest = (await deps.digests.getSummary(date))!;
  }
  if (digest.status === 'empty') return { date, status: 'empty', recipients: 0 };

  // Idempotent (HSETNX per post): a retry after a crash here marks the same posts again.
  const claimed = await deps.posts.markUsed(digest.postIds, date);
  if (claimed.length < digest.postIds.length) {
    log.debug({ already: digest.postIds.length - claimed.length }, 'some posts were marked before');
  }
  return fanOut(deps, date);
}

/**
 * Pages through confirmed subscribers in id order, up to the bound fixed when fan-out started
 * (later subscribers wait for the next digest), and enqueues send jobs in batches. The cursor
 * and the recipient count advance together after each page, and job ids are deterministic, so
 * a fan-out interrupted anywhere resumes with no gap and no duplicate.
 */
async function fanOut(deps: BuildDeps, date: string): Promise<BuildResult> {
  const now = deps.now ?? (() => new Date());
  const state = await deps.digests.fanoutState(date, () => deps.subscribers.maxId());
  if (state.done) {
    const s = await deps.digests.getSummary(date);
    return { date, status: 'done', recipients: s?.counters.recipients ?? 0 };
  }
  let cursor = state.cursor;
  for (;;) {
    const ids = await deps.subscribers.pageIds('confirmed', cursor, FANOUT_PAGE, state.bound);
    if (ids.length === 0) break;
    const jobs = [];
    for (let i = 0; i < ids.length; i += deps.batchSize) {
      const batch = ids.slice(i, i + deps.batchSize);
      const delay = deps.delayFor?.(batch[0]!) ?? 0;
      jobs.push({
        name: 'send',
        data: { date, ids: batch },
        opts: { jobId: jobIds.send(date, batch[0]!), ...(delay > 0 ? { delay } : {}) },
      });
    }
    await deps.sendQueue.addBulk(jobs);
    const next = ids[ids.length - 1]!;
    if (await deps.digests.advanceFanout(date, cursor, next, ids.length)) cursor = next;
    // Another builder of this digest moved the cursor: carry on from where it is now (the
    // jobs just added have deterministic ids, and the ledger sends each subscriber once).
    else cursor = await deps.digests.fanoutCursor(date);
  }
  await deps.digests.finishFanout(date, now());
  const s = await deps.digests.getSummary(date);
  deps.log.info({ digest: date, recipients: s?.counters.recipients }, 'fan-out done');
  return { date, status: 'sending', recipients: s?.counters.recipients ?? 0 };
}

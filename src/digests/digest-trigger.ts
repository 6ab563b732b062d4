import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import type { PostStore } from '../feeds/post-store.js';
import { jobIds, type Queues } from '../queues.js';
import { choosePosts, newEditionFrame } from './choose-posts.js';
import { dateInWords, pastDateWords } from './date-words.js';
import { isBuilt } from './digest.js';
import type { DigestStore } from './digest-store.js';
import { nextDigestDate } from './digest-window.js';
import { frequencySchedule, type EditionWindow } from './edition-window.js';
import type { Frequency } from './frequency.js';

/**
 * The digest service's two actions that go out by the build queue, the same path as the
 * scheduler (README guarantee 1): a send by hand and a retry of the temporary failures.
 */

/** What the actions need of the digest service (digest-service.ts builds it once). */
export interface TriggerDeps {
  config: Config;
  digests: DigestStore;
  posts: PostStore;
  queues: Pick<Queues, 'build'>;
  /** The SMTP preflight (src/mail/preflight.ts): throws SmtpPreflightError naming the cause. */
  preflight: () => Promise<void>;
  now: () => Date;
  /** An edition id, or a bare date of `frequency` (default: the site's), placed in time. */
  editionOf(s: string, frequency?: Frequency): EditionWindow;
}

export interface TriggerOptions {
  force?: boolean;
  /** The edition's frequency (default DIGEST_DEFAULT_FREQUENCY). */
  frequency?: Frequency;
  /** Every zone at once. */
  now?: boolean;
}

/** `trigger` of the digest service (its TSDoc says what is refused). */
export async function triggerEdition(
  t: TriggerDeps,
  date: string | undefined,
  opts: TriggerOptions,
): Promise<{ id: string; date: string; created: boolean; jobId?: string }> {
  const schedule = t.config.digest;
  const f = opts.frequency ?? schedule.defaultFrequency;
  const w = t.editionOf(date ?? nextDigestDate(t.now(), frequencySchedule(schedule, f)), f);
  checkNotPast(t, w.date, opts.force);
  const existing = await t.digests.getSummary(w.id);
  const head = { id: w.id, date: w.date };
  if (existing && isBuilt(existing)) return { ...head, created: false };
  const prev = await t.digests.previousBuilt(w.frequency, w.sendAt);
  const next = newEditionFrame(w, prev, await t.posts.currentSeq());
  const { posts } = await choosePosts(
    { postStore: t.posts, maxPosts: schedule.maxPosts },
    next.frame,
    next.start,
  );
  if (posts.length === 0)
    throw new ValidationError(
      'DIGEST_EMPTY',
      `No posts for the digest of ${label(t.config, w)}: there is nothing to send, and nothing was stored.`,
    );
  await t.preflight();
  const jobId = jobIds.manualBuild(w.id, Date.now());
  const data = {
    date: w.date,
    frequency: w.frequency,
    trigger: 'manual' as const,
    ...(opts.force ? { force: true } : {}),
    ...(opts.now ? { now: true } : {}),
  };
  await t.queues.build.add('build', data, { jobId });
  return { ...head, created: true, jobId };
}

/** `retryFailed` of the digest service: queues the retry when temporary failures remain. */
export async function retryFailedDeliveries(
  t: TriggerDeps,
  id: string,
  frequency: Frequency | undefined,
): Promise<{ id: string; date: string; temporary: number; jobId?: string }> {
  const w = t.editionOf(id, frequency);
  const s = await t.digests.getSummary(w.id);
  const head = { id: w.id, date: w.date };
  if (!s || !isBuilt(s))
    throw new ValidationError(
      'DIGEST_NOT_BUILT',
      `The digest of ${label(t.config, w)} was never built.`,
    );
  const temporary = (await t.digests.failures(w.id))
    .filter((g) => g.cause === 'temporary')
    .reduce((n, g) => n + g.count, 0);
  if (temporary === 0) return { ...head, temporary };
  await t.preflight();
  const jobId = jobIds.retryFailed(w.id, Date.now());
  await t.queues.build.add(
    'build',
    { date: w.date, frequency: w.frequency, trigger: 'manual', retryFailed: true },
    { jobId },
  );
  return { ...head, temporary, jobId };
}

/** How messages name an edition: its date for the default frequency, else its id. */
function label(config: Config, w: EditionWindow): string {
  return w.frequency === config.digest.defaultFrequency ? w.date : w.id;
}

/** Refuses a date more than a week back unless forced: it would mail an old digest to all. */
function checkNotPast(t: TriggerDeps, date: string, force: boolean | undefined): void {
  const ago = pastDateWords(date, t.now(), t.config.digest.tz);
  if (ago && !force) {
    throw new ValidationError(
      'DIGEST_DATE_PAST',
      `The digest of ${date} (${dateInWords(date)}) is ${ago}: it would mail an old digest to every subscriber. Give --force to send it anyway.`,
    );
  }
}

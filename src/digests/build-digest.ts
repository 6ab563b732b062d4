import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { PostStore } from '../feeds/post-store.js';
import { choosePosts, newEditionFrame } from './choose-posts.js';
import { isBuilt } from './digest.js';
import type { DigestStore } from './digest-store.js';
import { parseEdition } from './edition.js';
import { editionWindow, type EditionWindow } from './edition-window.js';
import { EMPTY_VARIANT, type Variants } from './variants.js';

export interface BuildDeps {
  digests: DigestStore;
  posts: Pick<PostStore, 'listPublishedBetween' | 'listArrivedBetween' | 'currentSeq'>;
  /** Renders the edition's main variant once (README guarantee 5). */
  variants: Pick<Variants, 'variantFor' | 'content'>;
  /** Each frequency's cron in DIGEST_TZ; a bare date names the default frequency's edition. */
  schedules: Pick<Config['digest'], 'crons' | 'tz' | 'defaultFrequency'>;
  maxPosts: number;
  log: Logger;
  /** The SMTP preflight (src/mail/preflight.ts); absent, nothing is checked (the outbox). */
  preflight?: () => Promise<void>;
  now?: () => Date;
}

export type BuildResult = {
  /** The edition id, `weekly/2026-12-07` (what keys the edition's hash and ledger). */
  date: string;
  /**
   * `built`: built (now or before), ready to fan out (src/digests/fan-out.ts); `sending`: fanned
   * out now; `done`: fanned out before; `skipped`: a scheduled occurrence not sent (see
   * `reason`); `nothing`: a manual build with no posts, nothing stored.
   */
  status: 'built' | 'sending' | 'done' | 'skipped' | 'nothing';
  recipients: number;
  reason?: string;
};

export interface BuildOptions {
  trigger: 'manual' | 'schedule';
  /** The occurrence a scheduled build is for; more than CATCH_UP_MS ago, it is skipped. */
  scheduledAt?: Date;
}

/** How late a missed scheduled occurrence is still caught up (README, "A date is never burnt"). */
export const CATCH_UP_MS = 24 * 3_600_000;

/** The edition named by an id or a bare date (the default frequency's), placed in time. */
export function resolveEditionWindow(s: string, schedules: BuildDeps['schedules']): EditionWindow {
  return editionWindow(parseEdition(s, schedules.defaultFrequency), schedules);
}

/**
 * Builds the edition `id` (or a bare date: the default frequency's); its slots fan it out
 * (src/digests/fan-out.ts). Idempotent: the edition is created once, its post range
 * (seqFrom, seqTo] frozen once and its main variant rendered once (first builder wins);
 * running it again builds nothing new (README guarantee 1).
 *
 * Nothing with no posts is stored as final: a scheduled occurrence with no posts (or missed by
 * more than a day) is recorded `skipped` and takes no post; a manual build with none stores
 * nothing. Before anything is stored, `preflight` checks the SMTP server; when it throws
 * (SmtpPreflightError) nothing has been stored or fanned out, and the caller holds the edition.
 */
export async function buildDigest(
  deps: BuildDeps,
  id: string,
  opts: BuildOptions = { trigger: 'manual' },
): Promise<BuildResult> {
  const now = deps.now ?? (() => new Date());
  const window = resolveEditionWindow(id, deps.schedules);
  const log = deps.log.child({ digest: window.id });
  const result = (status: BuildResult['status'], recipients: number, reason?: string) => ({
    date: window.id,
    status,
    recipients,
    ...(reason ? { reason } : {}),
  });

  const digest = await deps.digests.getSummary(window.id);
  if (digest && isBuilt(digest)) return result('built', digest.counters.recipients);
  const skip = async (reason: string): Promise<BuildResult> => {
    if (await deps.digests.markSkipped(window, reason, now()))
      log.warn({ reason }, 'scheduled digest skipped');
    return result('skipped', 0, reason);
  };
  const late = opts.scheduledAt && now().getTime() - opts.scheduledAt.getTime() > CATCH_UP_MS;
  // A held digest keeps retrying on its own clock (src/digests/build-job.ts), not this one.
  if (opts.trigger === 'schedule' && late && digest?.status !== 'held')
    return skip('missed: every process was down');
  if (!(await build(deps, window, now))) {
    if (opts.trigger === 'schedule') return skip('no posts');
    log.warn('no posts: nothing built, nothing sent');
    return result('nothing', 0, 'no posts');
  }
  return result('built', 0);
}

/**
 * Freezes the edition's range and renders its main variant (a reader with no cursor and no
 * topics), once. False when it has no posts: nothing is stored as built (README guarantee 10).
 */
async function build(deps: BuildDeps, window: EditionWindow, now: () => Date): Promise<boolean> {
  const log = deps.log.child({ digest: window.id });
  const prev = await deps.digests.previousBuilt(window.frequency, window.sendAt);
  const { frame, start, windowFrom } = newEditionFrame(window, prev, await deps.posts.currentSeq());
  const range = {
    seqTo: frame.seqTo,
    ...(prev?.seqTo !== undefined ? { seqFrom: prev.seqTo } : {}),
    ...(prev?.builtAt ? { previousBuiltAt: prev.builtAt } : {}),
    ...(windowFrom ? { windowFrom } : {}),
  };
  const main = await choosePosts({ postStore: deps.posts, maxPosts: deps.maxPosts }, frame, start);
  if (main.posts.length === 0) return false;
  await deps.preflight?.();
  if (await deps.digests.create(window, now())) log.info('digest created');
  const frozen = await deps.digests.freeze(window.id, range);
  const summary = await deps.digests.getSummary(window.id);
  if (!summary) throw new Error(`digest ${window.id} vanished while building`);
  const v = await deps.variants.variantFor(summary, undefined, []);
  // Another builder froze a range of its own first, and it holds nothing.
  if (v.id === EMPTY_VARIANT) return false;
  // MJML runs here once per edition for the common set (README guarantee 5).
  const content = await deps.variants.content(summary, v, log);
  const stored = await deps.digests.storeContent(
    window.id,
    { subject: content.subject, variant: v.id, postIds: content.postIds },
    now(),
  );
  log.info(
    { posts: content.postIds.length, seqFrom: frozen.seqFrom, seqTo: frozen.seqTo, stored },
    stored ? 'digest built' : 'another builder stored it first',
  );
  return true;
}

import type { Logger } from '../log.js';
import type { PostStore } from '../feeds/post-store.js';
import type { Renderer } from '../render/render-digest.js';
import { choosePosts } from './choose-posts.js';
import { isBuilt } from './digest.js';
import { digestWindow } from './digest-window.js';
import type { DigestStore } from './digest-store.js';

export interface BuildDeps {
  digests: DigestStore;
  posts: Pick<PostStore, 'listPublishedBetween' | 'markUsed'>;
  renderer: Pick<Renderer, 'renderDigest'>;
  schedule: { cron: string; tz: string };
  maxPosts: number;
  log: Logger;
  /** The SMTP preflight (src/mail/preflight.ts); absent, nothing is checked (the outbox). */
  preflight?: () => Promise<void>;
  now?: () => Date;
}

export type BuildResult = {
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

/**
 * Builds the digest of `date` (its slots fan it out: src/digests/fan-out.ts). Idempotent: the
 * digest is created once, its content stored once (first builder wins) and its posts marked
 * used; running it again for the same date builds nothing new (README guarantee 1).
 *
 * Nothing with no posts is stored as final: a scheduled occurrence with no posts (or missed by
 * more than a day) is recorded `skipped` and takes no post; a manual build with none stores
 * nothing. Before the content is stored, `preflight` checks the SMTP server; when it throws
 * (SmtpPreflightError) nothing has been stored or fanned out, and the caller holds the digest.
 */
export async function buildDigest(
  deps: BuildDeps,
  date: string,
  opts: BuildOptions = { trigger: 'manual' },
): Promise<BuildResult> {
  const now = deps.now ?? (() => new Date());
  const window = digestWindow(date, deps.schedule);
  const log = deps.log.child({ digest: date });

  let digest = await deps.digests.getSummary(date);
  if (!digest || !isBuilt(digest)) {
    const skip = async (reason: string): Promise<BuildResult> => {
      if (await deps.digests.markSkipped(window, reason, now()))
        log.warn({ reason }, 'scheduled digest skipped');
      return { date, status: 'skipped', recipients: 0, reason };
    };
    const late = opts.scheduledAt && now().getTime() - opts.scheduledAt.getTime() > CATCH_UP_MS;
    // A held digest keeps retrying on its own clock (src/digests/build-job.ts), not this one.
    if (opts.trigger === 'schedule' && late && digest?.status !== 'held')
      return skip('missed: every process was down');
    const chosen = await choosePosts(
      {
        postStore: deps.posts,
        getPreviousBuiltAt: () => deps.digests.previousBuiltAt(window.sendAt),
        maxPosts: deps.maxPosts,
      },
      window,
    );
    if (chosen.length === 0) {
      if (opts.trigger === 'schedule') return skip('no posts');
      log.warn('no posts: nothing built, nothing sent');
      return { date, status: 'nothing', recipients: 0, reason: 'no posts' };
    }
    await deps.preflight?.();
    if (await deps.digests.create(window, now())) log.info('digest created');
    // MJML runs here, once per digest (README guarantee 5); recipients get placeholders filled later.
    const content = await deps.renderer.renderDigest({ date, posts: chosen, window });
    const stored = await deps.digests.storeContent(
      date,
      { ...content, postIds: chosen.map((p) => p.id) },
      now(),
    );
    log.info(
      { posts: chosen.length, stored },
      stored ? 'digest rendered' : 'another builder stored it first',
    );
    // Too large for Gmail as it was: say what was cut (README guarantee 12).
    if ('fit' in content && content.fit)
      log.warn(
        content.fit,
        `digest HTML was ${content.fit.bytesBefore} bytes, over Gmail's clipping size: summaries ` +
          `cut to ${content.fit.summariesCutTo} characters, ${content.fit.full} posts in full, ` +
          `${content.fit.listed} by title, ${content.fit.notShown} not shown (counted, with a link to the archive)`,
      );
    digest = await deps.digests.getSummary(date);
    if (!digest) throw new Error(`digest ${date} vanished while building`);
  }

  // Idempotent (HSETNX per post): a retry after a crash here marks the same posts again.
  const claimed = await deps.posts.markUsed(digest.postIds, date);
  if (claimed.length < digest.postIds.length) {
    log.debug({ already: digest.postIds.length - claimed.length }, 'some posts were marked before');
  }
  return { date, status: 'built', recipients: digest.counters.recipients };
}

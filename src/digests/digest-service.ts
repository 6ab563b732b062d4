import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import type { Post } from '../feeds/post.js';
import type { PostStore } from '../feeds/post-store.js';
import { createDigestCopies } from '../mail/digest-copy.js';
import type { MailTransport } from '../mail/transport.js';
import { jobIds, type Queues } from '../queues.js';
import { fillPlaceholders } from '../render/placeholders.js';
import type { Renderer } from '../render/render-digest.js';
import { normaliseAddress } from '../subscribers/address.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import type { Links } from '../subscribers/links.js';
import type { Tokens } from '../subscribers/tokens.js';
import { choosePosts } from './choose-posts.js';
import type { Frequency } from './frequency.js';
import type { ZoneProgress, ZoneProgressStore } from './zone-progress.js';
import { dateInWords, pastDateWords } from './date-words.js';
import {
  isBuilt,
  type DigestCounters,
  type DigestStatus,
  type FailureGroup,
  type FirstError,
  type SmtpErrorKindSeen,
} from './digest.js';
import type { DigestStore, DigestSummary } from './digest-store.js';
import { assertDigestDate, digestWindow, isDigestDate, nextDigestDate } from './digest-window.js';
import { digestContent, SAMPLE_DELIVERY, sampleRecipient } from './preview.js';
import { sendTimeInWords } from './schedule-listing.js';

export interface DigestListItem {
  date: string;
  status: DigestStatus;
  subject: string;
  sendAt: string;
  builtAt?: string;
  finishedAt?: string;
  posts: number;
  counters: DigestCounters;
  /** Why it is held or skipped. */
  reason?: string;
  /** The first SMTP error of each kind while it was sending. */
  errors: Partial<Record<SmtpErrorKindSeen, FirstError>>;
  /** Failed deliveries grouped by cause and SMTP code. */
  failures: FailureGroup[];
  /** Each zone's planned send instant and subscribers, fan-out state and progress. */
  zones: ZoneProgress[];
}

/**
 * What admins do with digests (HTTP admin and CLI share it): list, look, preview, trigger,
 * test-send, and the public archive. Triggering goes through the build queue, the same path
 * as the scheduler, so every trigger of a date is the same idempotent build (README guarantee 1).
 */
export function createDigestService(deps: {
  config: Config;
  digests: DigestStore;
  posts: PostStore;
  renderer: Renderer;
  queues: Pick<Queues, 'build'>;
  mailer: () => Pick<MailTransport, 'sendRaw'>;
  /** The SMTP preflight (src/mail/preflight.ts): throws SmtpPreflightError naming the cause. */
  preflight: () => Promise<void>;
  /** Test sends to a subscriber's address carry that subscriber's own working links. */
  subscribers: Pick<SubscriberStore, 'getByEmail'>;
  tokens: Pick<Tokens, 'sign'>;
  links: Pick<Links, 'recipient'>;
  /** Each edition's zones (src/digests/zone-progress.ts), for the list. */
  zones: Pick<ZoneProgressStore, 'read'>;
  now?: () => Date;
}) {
  const { config, digests } = deps;
  const now = deps.now ?? (() => new Date());
  const schedule = config.digest;
  const base = config.site.publicUrl;
  const archiveCache = new Map<string, string>();

  const checkDate = (date: string) => assertDigestDate(date);

  const previewDeps = {
    postStore: deps.posts,
    renderer: deps.renderer,
    config,
    getPreviousBuiltAt: (date: string) =>
      digests.previousBuiltAt(digestWindow(date, schedule).sendAt),
  };

  const contentDeps = { ...previewDeps, digests, posts: deps.posts };
  const content = (date: string) => {
    checkDate(date);
    return digestContent(contentDeps, date);
  };

  /** Refuses a date more than a week back unless forced: it would mail an old digest to all. */
  function checkNotPast(date: string, force: boolean | undefined) {
    const ago = pastDateWords(date, now(), schedule.tz);
    if (ago && !force) {
      throw new ValidationError(
        'DIGEST_DATE_PAST',
        `The digest of ${date} (${dateInWords(date)}) is ${ago}: it would mail an old digest to every subscriber. Give --force to send it anyway.`,
      );
    }
  }

  async function listItem(s: DigestSummary): Promise<DigestListItem> {
    const edition = { frequency: config.digest.defaultFrequency, date: s.date };
    return toItem(s, await digests.failures(s.date), await deps.zones.read(edition));
  }

  return {
    async list(limit = 20): Promise<DigestListItem[]> {
      return Promise.all((await digests.list(limit)).map(listItem));
    },

    async get(date: string) {
      checkDate(date);
      return digests.get(date);
    },

    async summary(date: string): Promise<DigestListItem | undefined> {
      checkDate(date);
      const s = await digests.getSummary(date);
      return s && listItem(s);
    },

    /** Words for a date more than a week back ("3 weeks ago"), for the web's second question. */
    pastDate(date: string): { ago: string; words: string } | undefined {
      checkDate(date);
      const ago = pastDateWords(date, now(), schedule.tz);
      return ago ? { ago, words: dateInWords(date) } : undefined;
    },

    /**
     * Builds and sends `date` (default: the next scheduled digest), by the build queue like the
     * scheduler. Idempotent per date: a built digest is left as it is (`created: false`).
     * Refused, before anything is queued: a date more than a week back without `force`
     * (DIGEST_DATE_PAST), a date with no posts (DIGEST_EMPTY: nothing is stored, so the date
     * stays free), and an SMTP server that fails the preflight (SMTP_PREFLIGHT_FAILED).
     */
    async trigger(
      date?: string,
      /** `frequency`: the edition's (default DIGEST_DEFAULT_FREQUENCY); `now`: every zone at once. */
      opts: { force?: boolean; frequency?: Frequency; now?: boolean } = {},
    ): Promise<{ date: string; created: boolean; jobId?: string }> {
      const d = date ?? nextDigestDate(now(), schedule);
      checkDate(d);
      checkNotPast(d, opts.force);
      const existing = await digests.getSummary(d);
      if (existing && isBuilt(existing)) return { date: d, created: false };
      const posts = await choosePosts(
        {
          postStore: deps.posts,
          maxPosts: config.digest.maxPosts,
          getPreviousBuiltAt: previewDeps.getPreviousBuiltAt,
        },
        digestWindow(d, schedule),
      );
      if (posts.length === 0)
        throw new ValidationError(
          'DIGEST_EMPTY',
          `No posts for the digest of ${d}: there is nothing to send, and nothing was stored.`,
        );
      await deps.preflight();
      const jobId = jobIds.manualBuild(d, Date.now());
      const data = {
        frequency: opts.frequency ?? config.digest.defaultFrequency,
        date: d,
        trigger: 'manual' as const,
        ...(opts.force ? { force: true } : {}),
        ...(opts.now ? { now: true } : {}),
      };
      await deps.queues.build.add('build', data, { jobId });
      return { date: d, created: true, jobId };
    },

    /**
     * Re-sends the deliveries of a built digest that failed with a temporary cause (by the
     * build queue, src/delivery/retry-failed.ts). `temporary` counts them now; 0 queues nothing.
     */
    async retryFailed(date: string): Promise<{ date: string; temporary: number; jobId?: string }> {
      checkDate(date);
      const s = await digests.getSummary(date);
      if (!s || !isBuilt(s))
        throw new ValidationError('DIGEST_NOT_BUILT', `The digest of ${date} was never built.`);
      const temporary = (await digests.failures(date))
        .filter((g) => g.cause === 'temporary')
        .reduce((n, g) => n + g.count, 0);
      if (temporary === 0) return { date, temporary };
      await deps.preflight();
      const jobId = jobIds.retryFailed(date, Date.now());
      await deps.queues.build.add(
        'build',
        { date, trigger: 'manual', retryFailed: true },
        { jobId },
      );
      return { date, temporary, jobId };
    },

    /** The digest as a recipient would see it, with sample per-recipient values. */
    async preview(date: string, email = 'reader@example.com') {
      const c = await content(date);
      const values = sampleRecipient(base, email);
      return {
        subject: c.subject,
        html: c.html && fillPlaceholders(c.html, values),
        text: c.text && fillPlaceholders(c.text, values),
        posts: c.posts,
        empty: c.empty,
        /** True: the stored digest as built; false: rendered from the posts stored now. */
        stored: c.stored,
        builtAt: c.builtAt,
        status: c.status,
        emptyReason: 'emptyReason' in c ? c.emptyReason : undefined,
      };
    },

    /**
     * One copy to `email`, subject marked [Test], outside the ledger, with the digest's own
     * headers (digest-copy.ts). A subscriber's address gets that subscriber's links; any other
     * address the archive's generic ones.
     */
    async testSend(date: string, email: string): Promise<void> {
      const addr = normaliseAddress(email);
      if (!addr.ok) throw new ValidationError(addr.code, addr.message);
      const c = await content(date);
      if (c.empty || !c.html)
        throw new ValidationError(
          'DIGEST_EMPTY',
          `The digest of ${date} has no posts; nothing to send.`,
        );
      const copies = createDigestCopies({
        ...config,
        links: deps.links,
        tokens: deps.tokens,
        transport: deps.mailer(),
      });
      const copy = { subject: `[Test] ${c.subject}`, html: c.html, text: c.text };
      const sub = await deps.subscribers.getByEmail(addr.email);
      if (sub) await copies.toSubscriber(copy, sub);
      else
        await copies.withValues(copy, {
          email: addr.email,
          unsubscribeUrl: `${base}/unsubscribe`,
          preferencesUrl: `${base}/preferences`,
          delivery: SAMPLE_DELIVERY,
          frequencyUrl: `${base}/frequency`,
        });
    },

    /**
     * The next scheduled digest and the posts it would carry if built now; once it is built
     * (sent early by hand, say), its status and the posts it carried.
     */
    async next(): Promise<{
      date: string;
      sendAt: string;
      /** The send time in DIGEST_TZ, in words: "Monday 7 December, 09:00 Europe/Berlin". */
      sendAtInWords: string;
      posts: Post[];
      status?: DigestStatus;
    }> {
      const date = nextDigestDate(now(), schedule);
      const { sendAt } = digestWindow(date, schedule);
      const c = await content(date);
      const status = c.stored ? c.status : undefined;
      return {
        date,
        sendAt: sendAt.toISOString(),
        sendAtInWords: sendTimeInWords(sendAt, schedule.tz, now()),
        posts: c.posts,
        ...(status ? { status } : {}),
      };
    },

    /**
     * A digest's HTML for the public archive ("view in browser"): only digests that went out,
     * rendered from the posts they carried with a public footer (a subscribe link) instead of
     * anyone's personal one. Kept per date and build, so a busy archive runs MJML once.
     */
    async archiveHtml(date: string): Promise<string | undefined> {
      if (!isDigestDate(date)) return undefined;
      const d = await digests.get(date);
      if (!d || !d.html || !['sending', 'sent', 'sent_with_failures'].includes(d.status))
        return undefined;
      const key = `${date}:${d.builtAt}`;
      const cached = archiveCache.get(key);
      if (cached !== undefined) return cached;
      const posts = await deps.posts.getMany(d.postIds);
      const rendered = await deps.renderer.renderDigest({
        date,
        posts,
        window: digestWindow(date, schedule),
        archive: true,
      });
      if (archiveCache.size >= 20) archiveCache.delete(archiveCache.keys().next().value!);
      archiveCache.set(key, rendered.html);
      return rendered.html;
    },
  };
}

export type DigestService = ReturnType<typeof createDigestService>;

function toItem(s: DigestSummary, failures: FailureGroup[], zones: ZoneProgress[]): DigestListItem {
  return {
    date: s.date,
    status: s.status,
    subject: s.subject,
    sendAt: s.sendAt,
    builtAt: s.builtAt || undefined,
    finishedAt: s.finishedAt,
    posts: s.postIds.length,
    counters: s.counters,
    ...(s.reason ? { reason: s.reason } : {}),
    errors: s.errors,
    failures,
    zones,
  };
}

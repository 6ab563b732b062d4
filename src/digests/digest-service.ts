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
import { choosePosts, setStart } from './choose-posts.js';
import type { ZoneProgressStore } from './zone-progress.js';
import { dateInWords, pastDateWords } from './date-words.js';
import { isBuilt, type DigestStatus } from './digest.js';
import type { DigestStore, DigestSummary } from './digest-store.js';
import { nextDigestDate } from './digest-window.js';
import { frequencySchedule, type EditionWindow } from './edition-window.js';
import type { Frequency } from './frequency.js';
import { digestContent, previewEdition, sampleRecipient, type PreviewOptions } from './preview.js';
import type { Variants } from './variants.js';
import { sendTimeInWords } from './schedule-listing.js';
import { createArchiveHtml } from './archive-html.js';
import { toItem, type DigestListItem } from './digest-list-item.js';

export type { DigestListItem } from './digest-list-item.js';

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
  /** Each reader's variant of a built edition (previews and test sends of any topics). */
  variants: Pick<Variants, 'variantFor' | 'content' | 'resolveTopics'>;
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

  /** An edition id, or a bare date of `frequency` (default: the site's), placed in time. */
  const editionOf = (s: string, frequency?: Frequency): EditionWindow =>
    previewEdition(config, s, { frequency });

  const contentDeps = {
    postStore: deps.posts,
    posts: deps.posts,
    renderer: deps.renderer,
    config,
    digests,
    variants: deps.variants,
    resolveTopics: deps.variants.resolveTopics,
    previousBuilt: (w: EditionWindow) => digests.previousBuilt(w.frequency, w.sendAt),
  };
  const content = (s: string, opts: PreviewOptions = {}) => digestContent(contentDeps, s, opts);
  const archiveHtml = createArchiveHtml({ ...deps, editionOf });
  /** How messages name an edition: its date for the default frequency, else its id. */
  const label = (w: EditionWindow) => (w.frequency === schedule.defaultFrequency ? w.date : w.id);

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
    const edition = { frequency: s.frequency, date: s.date };
    return toItem(s, await digests.failures(s.id), await deps.zones.read(edition));
  }

  return {
    async list(limit = 20, frequency?: Frequency): Promise<DigestListItem[]> {
      return Promise.all((await digests.list(limit, frequency)).map(listItem));
    },

    /** An edition by id, or by a bare date (the default frequency's edition). */
    async get(id: string) {
      return digests.get(editionOf(id).id);
    },

    async summary(id: string, frequency?: Frequency): Promise<DigestListItem | undefined> {
      const s = await digests.getSummary(editionOf(id, frequency).id);
      return s && listItem(s);
    },

    /** Words for a date more than a week back ("3 weeks ago"), for the web's second question. */
    pastDate(id: string): { ago: string; words: string } | undefined {
      const { date } = editionOf(id);
      const ago = pastDateWords(date, now(), schedule.tz);
      return ago ? { ago, words: dateInWords(date) } : undefined;
    },

    /**
     * Builds and sends an edition (an id, or a date of `opts.frequency`, default the site's;
     * no date: that frequency's next scheduled edition), by the build queue like the
     * scheduler. Idempotent per edition: a built one is left as it is (`created: false`).
     * Refused, before anything is queued: a date more than a week back without `force`
     * (DIGEST_DATE_PAST), an edition with no posts (DIGEST_EMPTY: nothing is stored, so the
     * date stays free), and an SMTP server that fails the preflight (SMTP_PREFLIGHT_FAILED).
     */
    async trigger(
      date?: string,
      /** `frequency`: the edition's (default DIGEST_DEFAULT_FREQUENCY); `now`: every zone at once. */
      opts: { force?: boolean; frequency?: Frequency; now?: boolean } = {},
    ): Promise<{ id: string; date: string; created: boolean; jobId?: string }> {
      const f = opts.frequency ?? schedule.defaultFrequency;
      const w = editionOf(date ?? nextDigestDate(now(), frequencySchedule(schedule, f)), f);
      checkNotPast(w.date, opts.force);
      const existing = await digests.getSummary(w.id);
      const head = { id: w.id, date: w.date };
      if (existing && isBuilt(existing)) return { ...head, created: false };
      const prev = await contentDeps.previousBuilt(w);
      const { posts } = await choosePosts(
        { postStore: deps.posts, maxPosts: config.digest.maxPosts },
        { window: w, seqTo: await deps.posts.currentSeq(), previousBuiltAt: prev?.builtAt },
        setStart(undefined, prev?.seqTo),
      );
      if (posts.length === 0)
        throw new ValidationError(
          'DIGEST_EMPTY',
          `No posts for the digest of ${label(w)}: there is nothing to send, and nothing was stored.`,
        );
      await deps.preflight();
      const jobId = jobIds.manualBuild(w.id, Date.now());
      const data = {
        date: w.date,
        frequency: w.frequency,
        trigger: 'manual' as const,
        ...(opts.force ? { force: true } : {}),
        ...(opts.now ? { now: true } : {}),
      };
      await deps.queues.build.add('build', data, { jobId });
      return { ...head, created: true, jobId };
    },

    /**
     * Re-sends the deliveries of a built edition that failed with a temporary cause (by the
     * build queue, src/delivery/retry-failed.ts). `temporary` counts them now; 0 queues nothing.
     */
    async retryFailed(
      id: string,
      frequency?: Frequency,
    ): Promise<{ id: string; date: string; temporary: number; jobId?: string }> {
      const w = editionOf(id, frequency);
      const s = await digests.getSummary(w.id);
      const head = { id: w.id, date: w.date };
      if (!s || !isBuilt(s))
        throw new ValidationError('DIGEST_NOT_BUILT', `The digest of ${label(w)} was never built.`);
      const temporary = (await digests.failures(w.id))
        .filter((g) => g.cause === 'temporary')
        .reduce((n, g) => n + g.count, 0);
      if (temporary === 0) return { ...head, temporary };
      await deps.preflight();
      const jobId = jobIds.retryFailed(w.id, Date.now());
      await deps.queues.build.add(
        'build',
        { date: w.date, frequency: w.frequency, trigger: 'manual', retryFailed: true },
        { jobId },
      );
      return { ...head, temporary, jobId };
    },

    /** The digest as a recipient would see it, with sample per-recipient values. */
    async preview(id: string, email = 'reader@example.com', opts: PreviewOptions = {}) {
      const c = await content(id, opts);
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
     * headers and MIME builder (digest-copy.ts, as the batch send). A subscriber's address gets
     * that subscriber's links; any other address the preview's stand-ins (sampleRecipient).
     */
    async testSend(id: string, email: string, opts: PreviewOptions = {}): Promise<void> {
      const addr = normaliseAddress(email);
      if (!addr.ok) throw new ValidationError(addr.code, addr.message);
      const sub = await deps.subscribers.getByEmail(addr.email);
      // A subscriber's copy: the variant of their topics (from the edition's start, since a
      // test send leaves their cursor alone), by the same selection and rendering as a send.
      const topics = opts.topics ?? sub?.topics ?? [];
      const c = await content(id, { ...opts, topics });
      if (c.empty || !c.html)
        throw new ValidationError(
          'DIGEST_EMPTY',
          `The digest of ${id} has no posts; nothing to send.`,
        );
      const copies = createDigestCopies({
        ...config,
        links: deps.links,
        tokens: deps.tokens,
        transport: deps.mailer(),
      });
      const copy = { subject: `[Test] ${c.subject}`, html: c.html, text: c.text };
      if (sub) await copies.toSubscriber(copy, sub);
      // Anyone else: the preview's stand-ins, with the tester's own address in the footer.
      else await copies.withValues(copy, sampleRecipient(base, addr.email));
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
      const w = editionOf(
        nextDigestDate(now(), frequencySchedule(schedule, schedule.defaultFrequency)),
      );
      const { date, sendAt } = w;
      const c = await content(w.id);
      const status = c.stored ? c.status : undefined;
      return {
        date,
        sendAt: sendAt.toISOString(),
        sendAtInWords: sendTimeInWords(sendAt, schedule.tz, now()),
        posts: c.posts,
        ...(status ? { status } : {}),
      };
    },

    archiveHtml,
  };
}

export type DigestService = ReturnType<typeof createDigestService>;

import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import type { Post } from '../feeds/post.js';
import type { PostStore } from '../feeds/post-store.js';
import { createDigestCopies } from '../mail/digest-copy.js';
import type { MailTransport } from '../mail/transport.js';
import type { Queues } from '../queues.js';
import { fillPlaceholders } from '../render/placeholders.js';
import type { Renderer } from '../render/render-digest.js';
import { normaliseAddress } from '../subscribers/address.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import type { Links } from '../subscribers/links.js';
import type { Tokens } from '../subscribers/tokens.js';
import type { ZoneProgressStore } from './zone-progress.js';
import { dateInWords, pastDateWords } from './date-words.js';
import type { DigestStatus } from './digest.js';
import type { DigestStore, DigestSummary } from './digest-store.js';
import { nextDigestDate } from './digest-window.js';
import { frequencySchedule, type EditionWindow } from './edition-window.js';
import type { Frequency } from './frequency.js';
import { digestContent, previewEdition, sampleRecipient, type PreviewOptions } from './preview.js';
import type { Variants } from './variants.js';
import { sendTimeInWords } from './schedule-listing.js';
import { createArchiveHtml } from './archive-html.js';
import { toItem, type DigestListItem } from './digest-list-item.js';
import { retryFailedDeliveries, triggerEdition, type TriggerOptions } from './digest-trigger.js';

export type { DigestListItem } from './digest-list-item.js';

export interface DigestServiceDeps {
  config: Config;
  digests: DigestStore;
  posts: PostStore;
  renderer: Renderer;
  /** Each reader's variant of a built edition (previews and test sends of any topics). */
  variants: Pick<Variants, 'variantFor' | 'content' | 'resolveTopics' | 'archive'>;
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
}

/**
 * What admins do with digests (HTTP admin and CLI share it): list, look, preview, trigger,
 * test-send, and the public archive. Triggering goes through the build queue, the same path
 * as the scheduler, so every trigger of a date is the same idempotent build (README guarantee 1).
 */
export function createDigestService(deps: DigestServiceDeps) {
  const ctx = serviceContext(deps);
  const { digests } = deps;
  const { editionOf, now } = ctx;
  const listItem = async (s: DigestSummary): Promise<DigestListItem> => {
    const edition = { frequency: s.frequency, date: s.date };
    return toItem(s, await digests.failures(s.id), await deps.zones.read(edition));
  };

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
      const ago = pastDateWords(date, now(), deps.config.digest.tz);
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
    trigger: (date?: string, opts: TriggerOptions = {}) => triggerEdition(ctx, date, opts),

    /**
     * Re-sends the deliveries of a built edition that failed with a temporary cause (by the
     * build queue, src/delivery/retry-failed.ts). `temporary` counts them now; 0 queues nothing.
     */
    retryFailed: (id: string, frequency?: Frequency) => retryFailedDeliveries(ctx, id, frequency),

    /** The digest as a recipient would see it, with sample per-recipient values. */
    preview: (id: string, email = 'reader@example.com', opts: PreviewOptions = {}) =>
      previewDigest(ctx, id, email, opts),

    /**
     * One copy to `email`, subject marked [Test], outside the ledger, with the digest's own
     * headers and MIME builder (digest-copy.ts, as the batch send). A subscriber's address gets
     * that subscriber's links; any other address the preview's stand-ins (sampleRecipient).
     */
    testSend: (id: string, email: string, opts: PreviewOptions = {}): Promise<void> =>
      testSend(ctx, id, email, opts),

    /**
     * The next scheduled digest and the posts it would carry if built now; once it is built
     * (sent early by hand, say), its status and the posts it carried.
     */
    next: () => nextDigest(ctx),

    archiveHtml: createArchiveHtml({ ...deps, editionOf }),
  };
}

/** What the service's methods share, made once per service. */
function serviceContext(deps: DigestServiceDeps) {
  const { config, digests } = deps;
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
  return {
    ...deps,
    now: deps.now ?? (() => new Date()),
    editionOf,
    content: (s: string, opts: PreviewOptions = {}) => digestContent(contentDeps, s, opts),
  };
}

type ServiceContext = ReturnType<typeof serviceContext>;

async function previewDigest(ctx: ServiceContext, id: string, email: string, opts: PreviewOptions) {
  const c = await ctx.content(id, opts);
  const values = sampleRecipient(ctx.config.site.publicUrl, email);
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
}

async function testSend(
  ctx: ServiceContext,
  id: string,
  email: string,
  opts: PreviewOptions,
): Promise<void> {
  const addr = normaliseAddress(email);
  if (!addr.ok) throw new ValidationError(addr.code, addr.message);
  const sub = await ctx.subscribers.getByEmail(addr.email);
  // A subscriber's copy: the variant of their topics (from the edition's start, since a
  // test send leaves their cursor alone), by the same selection and rendering as a send.
  const topics = opts.topics ?? sub?.topics ?? [];
  const c = await ctx.content(id, { ...opts, topics });
  if (c.empty || !c.html)
    throw new ValidationError('DIGEST_EMPTY', `The digest of ${id} has no posts; nothing to send.`);
  const copies = createDigestCopies({
    ...ctx.config,
    links: ctx.links,
    tokens: ctx.tokens,
    transport: ctx.mailer(),
  });
  const copy = { subject: `[Test] ${c.subject}`, html: c.html, text: c.text };
  if (sub) await copies.toSubscriber(copy, sub);
  // Anyone else: the preview's stand-ins, with the tester's own address in the footer.
  else await copies.withValues(copy, sampleRecipient(ctx.config.site.publicUrl, addr.email));
}

async function nextDigest(ctx: ServiceContext): Promise<{
  date: string;
  sendAt: string;
  /** The send time in DIGEST_TZ, in words: "Monday 7 December, 09:00 Europe/Berlin". */
  sendAtInWords: string;
  posts: Post[];
  status?: DigestStatus;
}> {
  const schedule = ctx.config.digest;
  const w = ctx.editionOf(
    nextDigestDate(ctx.now(), frequencySchedule(schedule, schedule.defaultFrequency)),
  );
  const { date, sendAt } = w;
  const c = await ctx.content(w.id);
  const status = c.stored ? c.status : undefined;
  return {
    date,
    sendAt: sendAt.toISOString(),
    sendAtInWords: sendTimeInWords(sendAt, schedule.tz, ctx.now()),
    posts: c.posts,
    ...(status ? { status } : {}),
  };
}

export type DigestService = ReturnType<typeof createDigestService>;

import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import type { Post } from '../feeds/post.js';
import type { PostStore } from '../feeds/post-store.js';
import type { MailTransport } from '../mail/transport.js';
import { jobIds, type Queues } from '../queues.js';
import { fillPlaceholders } from '../render/placeholders.js';
import type { Renderer } from '../render/render-digest.js';
import { normaliseAddress } from '../subscribers/address.js';
import type { DigestCounters, DigestStatus } from './digest.js';
import type { DigestStore, DigestSummary } from './digest-store.js';
import { assertDigestDate, digestWindow, isDigestDate, nextDigestDate } from './digest-window.js';
import { renderPreview, sampleRecipient } from './preview.js';
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
  mailer: () => Pick<MailTransport, 'sendMail'>;
  now?: () => Date;
}) {
  const { config, digests } = deps;
  const now = deps.now ?? (() => new Date());
  const schedule = config.digest;
  const base = config.site.publicUrl;

  const checkDate = (date: string) => assertDigestDate(date);

  const previewDeps = {
    postStore: deps.posts,
    renderer: deps.renderer,
    config,
    getPreviousBuiltAt: (date: string) =>
      digests.previousBuiltAt(digestWindow(date, schedule).sendAt),
  };

  /** The stored content of a built digest, or a fresh render from the posts stored now. */
  async function content(date: string) {
    checkDate(date);
    const stored = await digests.get(date);
    if (stored && stored.builtAt) {
      const posts = await deps.posts.getMany(stored.postIds);
      return {
        subject: stored.subject,
        html: stored.html,
        text: stored.text,
        posts,
        empty: stored.status === 'empty',
        stored: true,
      };
    }
    // Placeholders left in: preview() fills them with the values of whoever asks (a test send's
    // recipient), not with a fixed sample address.
    const p = await renderPreview(previewDeps, date);
    return { ...p, stored: false };
  }

  return {
    async list(limit = 20): Promise<DigestListItem[]> {
      return (await digests.list(limit)).map(toItem);
    },

    async get(date: string) {
      checkDate(date);
      return digests.get(date);
    },

    async summary(date: string): Promise<DigestListItem | undefined> {
      checkDate(date);
      const s = await digests.getSummary(date);
      return s && toItem(s);
    },

    /** Builds and sends `date` (default: the next scheduled digest). Idempotent per date. */
    async trigger(date?: string): Promise<{ date: string; created: boolean }> {
      const d = date ?? nextDigestDate(now(), schedule);
      checkDate(d);
      const existed = (await digests.getSummary(d)) !== undefined;
      await deps.queues.build.add('build', { date: d }, { jobId: jobIds.build(d) });
      return { date: d, created: !existed };
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
      };
    },

    /** One copy to `email`, subject marked [Test], outside the ledger. */
    async testSend(date: string, email: string): Promise<void> {
      const addr = normaliseAddress(email);
      if (!addr.ok) throw new ValidationError(addr.code, addr.message);
      const p = await this.preview(date, addr.email);
      if (p.empty)
        throw new ValidationError(
          'DIGEST_EMPTY',
          `The digest of ${date} has no posts; nothing to send.`,
        );
      await deps.mailer().sendMail({
        from: config.mail.from,
        to: addr.email,
        subject: `[Test] ${p.subject}`,
        html: p.html,
        text: p.text,
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
      const status = c.stored ? (await digests.getSummary(date))?.status : undefined;
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
     * with generic links in place of anyone's personal ones.
     */
    async archiveHtml(date: string): Promise<string | undefined> {
      if (!isDigestDate(date)) return undefined;
      const d = await digests.get(date);
      if (!d || !d.html || !['sending', 'sent', 'sent_with_failures'].includes(d.status))
        return undefined;
      return fillPlaceholders(d.html, {
        unsubscribeUrl: `${base}/unsubscribe`,
        preferencesUrl: `${base}/preferences`,
        email: 'you',
      });
    },
  };
}

export type DigestService = ReturnType<typeof createDigestService>;

function toItem(s: DigestSummary): DigestListItem {
  return {
    date: s.date,
    status: s.status,
    subject: s.subject,
    sendAt: s.sendAt,
    builtAt: s.builtAt || undefined,
    finishedAt: s.finishedAt,
    posts: s.postIds.length,
    counters: s.counters,
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createDigestService } from '../../src/digests/digest-service.js';
import { createDigestStore } from '../../src/digests/digest-store.js';
import { digestWindow } from '../../src/digests/digest-window.js';
import { createFeedStore } from '../../src/feeds/feed-store.js';
import { createIngest } from '../../src/feeds/ingest.js';
import { createPostStore } from '../../src/feeds/post-store.js';
import { buildApp } from '../../src/http/app.js';
import type { HttpLimits } from '../../src/http/deps.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import type { Queues } from '../../src/queues.js';
import { createRenderer } from '../../src/render/render-digest.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { createLinks } from '../../src/subscribers/links.js';
import { createTokens } from '../../src/subscribers/tokens.js';
import { testRedis } from '../helpers/redis.js';
import { simpleParser } from 'mailparser';
import type { MailEnvelope, StructuredMail } from '../../src/mail/transport.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const SECRET = 'test-secret-0123456789abcdef0123456789';

/**
 * What the app asked the mailer to send (the transport's own message type); for a raw message
 * (a digest copy), the same fields read back with mailparser, plus the bytes and envelope.
 */
export type SentMail = StructuredMail & { raw?: Buffer; envelope?: MailEnvelope };

/**
 * The HTTP app on real stores over the test Redis (fresh prefix), with a mailer that records
 * what the app asked to send and a build queue that records what was triggered.
 */
export async function httpHarness(
  name: string,
  opts: {
    env?: Record<string, string>;
    limits?: HttpLimits;
    /** The SMTP preflight the digest service runs (default: passes). */
    preflight?: () => Promise<void>;
    now?: () => Date;
  } = {},
) {
  const t = testRedis(name);
  const dataDir = mkdtempSync(path.join(tmpdir(), `http-${name}-`));
  const config = loadConfig({
    REDIS_PREFIX: t.prefix,
    PUBLIC_URL: 'http://localhost:3000',
    SITE_NAME: 'Test Digest',
    DATA_DIR: dataDir,
    SECRET,
    ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const log = createLogger('silent');
  const redis = t.redis;
  const keys = t.keys;
  const sent: SentMail[] = [];
  const mailer = {
    async sendMail(msg: SentMail) {
      sent.push(msg);
      return { response: '250 OK' };
    },
    async sendRaw(envelope: MailEnvelope, raw: Buffer) {
      const mail = await simpleParser(raw);
      const headers = Object.fromEntries(
        mail.headerLines.map((h) => {
          const colon = h.line.indexOf(':');
          return [
            h.line.slice(0, colon),
            h.line
              .slice(colon + 1)
              .replace(/\r?\n\s/g, ' ')
              .trim(),
          ];
        }),
      );
      sent.push({
        from: headers.From ?? '',
        to: envelope.to,
        subject: mail.subject ?? '',
        html: String(mail.html),
        text: mail.text ?? '',
        headers,
        raw,
        envelope,
      });
      return { response: '250 OK', code: 250 };
    },
  };
  const triggered: { date?: string; trigger?: string; force?: boolean; retryFailed?: boolean }[] =
    [];
  const queues = {
    build: {
      async add(_name: string, data: (typeof triggered)[number]) {
        triggered.push(data);
        return {};
      },
    },
  } as unknown as Pick<Queues, 'build'>;
  const subscribers = createSubscriberStore({ redis, keys });
  const feeds = createFeedStore({ redis, keys });
  const posts = createPostStore({ redis, keys });
  const digestStore = createDigestStore({ redis, keys });
  const renderer = createRenderer({ site: config.site, tz: config.digest.tz });
  const tokens = createTokens(SECRET);
  const ingest = createIngest({
    feedStore: feeds,
    postStore: posts,
    log,
    allowPrivate: false,
    userAgent: 'test',
  });
  const digests = createDigestService({
    config,
    digests: digestStore,
    posts,
    renderer,
    queues,
    mailer: () => mailer,
    preflight: opts.preflight ?? (async () => {}),
    now: opts.now,
    subscribers,
    tokens,
    links: createLinks({ publicUrl: config.site.publicUrl, tokens }),
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const app = await buildApp({
    config,
    log,
    redis,
    keys,
    subscribers,
    tokens,
    feeds,
    posts,
    ingest,
    digests,
    mailer,
    renderer,
    adminToken: ADMIN_TOKEN,
    metrics,
    queueCounts: async () => ({ send: { waiting: 5, active: 1 } }),
    limits: { subscribePerIpPerMinute: 1000, ...opts.limits },
  });
  await app.ready();

  return {
    app,
    config,
    redis,
    keys,
    subscribers,
    feeds,
    posts,
    digestStore,
    tokens,
    metrics,
    sent,
    triggered,
    /** Stores a digest for `date` with the given status, as the build would. */
    async storeDigest(
      date: string,
      status: 'sending' | 'sent',
      html = '<html><body><p>Digest body</p><a href="%%UNSUBSCRIBE_URL%%">Unsubscribe</a></body></html>',
    ) {
      const window = digestWindow(date, config.digest);
      await digestStore.create(window, new Date());
      await digestStore.storeContent(
        date,
        { subject: `Digest ${date}`, html, text: 'Text %%UNSUBSCRIBE_URL%%', postIds: [] },
        new Date(),
      );
      if (status === 'sent') await redis.hset(keys.digest(date), 'status', 'sent');
    },
    async close() {
      await app.close();
      await t.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof httpHarness>>;

/** The confirmation link in a recorded email's text part. */
export function linkIn(mail: SentMail | undefined, pathname: string): string {
  const m = new RegExp(`http://localhost:3000(${pathname}\\?token=[A-Za-z0-9_-]+)`).exec(
    mail?.text ?? '',
  );
  if (!m) throw new Error(`no ${pathname} link in ${mail?.text}`);
  return m[1]!;
}

/** A form-urlencoded body. */
export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A multipart body with text fields (and optionally one file). */
export function multipart(
  fields: Record<string, string>,
  file?: { name: string; filename: string; content: string },
) {
  const boundary = '----digesttest' + Math.random().toString(16).slice(2);
  let body = '';
  for (const [k, v] of Object.entries(fields)) {
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  }
  if (file) {
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: text/csv\r\n\r\n${file.content}\r\n`;
  }
  body += `--${boundary}--\r\n`;
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

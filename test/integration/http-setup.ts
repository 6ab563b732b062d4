import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createDigestService } from '../../src/digests/digest-service.js';
import { createZoneProgress } from '../../src/digests/zone-progress.js';
import { createDigestStore } from '../../src/digests/digest-store.js';
import { digestWindow } from '../../src/digests/digest-window.js';
import { createFeedStore } from '../../src/feeds/feed-store.js';
import { Queue } from 'bullmq';
import { createIngest } from '../../src/feeds/ingest.js';
import { createIngestJobs } from '../../src/feeds/ingest-jobs.js';
import { createPostStore } from '../../src/feeds/post-store.js';
import { createAdminSessions } from '../../src/http/admin-sessions.js';
import { buildApp } from '../../src/http/app.js';
import type { HttpLimits } from '../../src/http/deps.js';
import { createLogger, type Logger } from '../../src/log.js';
import { createKeys, createRedis, waitForReady } from '../../src/redis.js';
import { createMetrics } from '../../src/metrics.js';
import { QUEUE, type Queues } from '../../src/queues.js';
import { createRenderer } from '../../src/render/render-digest.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { createLinks } from '../../src/subscribers/links.js';
import { createTokens } from '../../src/subscribers/tokens.js';
import { createTopicStore } from '../../src/topics/topic-store.js';
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
    trustProxy?: false | number | readonly string[];
    /** A private redis-server's URL: the app then gets the HTTP process's fail-fast client. */
    redisUrl?: string;
    /** Where the app logs (default: nowhere). */
    log?: Logger;
  } = {},
) {
  const t = opts.redisUrl ? await privateRedis(name, opts.redisUrl) : testRedis(name);
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
  const log = opts.log ?? createLogger('silent');
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
  const topics = createTopicStore({ redis, keys, feeds });
  const posts = createPostStore({ redis, keys });
  const digestStore = createDigestStore({ redis, keys });
  const renderer = createRenderer({ site: config.site, tz: config.digest.tz });
  const tokens = createTokens(SECRET);
  const ingest = createIngest({
    feedStore: feeds,
    postStore: posts,
    log,
    allowPrivate: config.feedAllowPrivate,
    userAgent: 'test',
  });
  // A real ingest queue: the feeds page starts jobs on it (a test runs a worker when it wants
  // them done, on this connection).
  const bullConnection = createRedis(
    { ...config.redis, cluster: t.cluster },
    { url: t.url, forBullmq: true },
  );
  bullConnection.on('error', () => undefined); // an outage test stops its Redis on purpose
  const ingestQueue = new Queue(QUEUE.ingest, { connection: bullConnection, prefix: t.prefix });
  const ingestJobs = createIngestJobs(ingestQueue);
  const digests = createDigestService({
    config,
    digests: digestStore,
    zones: createZoneProgress({ redis, keys }),
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
    topics,
    posts,
    ingest,
    ingestJobs,
    digests,
    mailer,
    renderer,
    adminToken: ADMIN_TOKEN,
    secret: SECRET,
    metrics,
    queueCounts: async () => ({ send: { waiting: 5, active: 1 } }),
    // Tests send the form at once; the time-to-submit check has its own test with a clock.
    limits: { subscribePerIpPerMinute: 1000, minFormSeconds: 0, ...opts.limits },
    now: opts.now,
    trustProxy: opts.trustProxy,
  });
  await app.ready();

  return {
    app,
    config,
    redis,
    keys,
    subscribers,
    feeds,
    topics,
    posts,
    digestStore,
    tokens,
    metrics,
    sent,
    triggered,
    /** The admin sessions on the same Redis, as `digest admin …` sees them. */
    sessions: createAdminSessions({ redis, keys, secret: SECRET }),
    ingest,
    ingestQueue,
    bullConnection,
    /** Stores a digest for `date` with the given status, as the build would. */
    async storeDigest(
      date: string,
      status: 'sending' | 'sent',
      html = '<html><body><p>Digest body</p><a href="%%UNSUBSCRIBE_URL%%">Unsubscribe</a></body></html>',
      postIds: string[] = [],
    ) {
      const window = digestWindow(date, config.digest);
      await digestStore.create(window, new Date());
      await digestStore.storeContent(
        date,
        { subject: `Digest ${date}`, html, text: 'Text %%UNSUBSCRIBE_URL%%', postIds },
        new Date(),
      );
      if (status === 'sent') await redis.hset(keys.digest(date), 'status', 'sent');
    },
    async close() {
      await app.close();
      await ingestQueue.close();
      await bullConnection.quit();
      await t.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof httpHarness>>;

/** A client on a private redis-server, made as the HTTP process makes its own (src/redis.ts). */
async function privateRedis(name: string, url: string) {
  const prefix = `{t-${name}}`;
  const redis = createRedis({ url, cluster: false, prefix }, { url, forHttp: true });
  redis.on('error', () => undefined); // the tests stop this Redis on purpose
  await waitForReady(redis);
  return {
    redis,
    prefix,
    url,
    cluster: false,
    keys: createKeys(prefix),
    async cleanup() {
      redis.disconnect();
    },
  };
}

/** The confirmation link in a recorded email's text part. */
export function linkIn(mail: SentMail | undefined, pathname: string): string {
  const m = new RegExp(`http://localhost:3000(${pathname}\\?token=[A-Za-z0-9_-]+)`).exec(
    mail?.text ?? '',
  );
  if (!m) throw new Error(`no ${pathname} link in ${mail?.text}`);
  return m[1]!;
}

/** The `ts` stamp of the subscribe form, as a browser would send it back. */
export async function formStamp(app: Harness['app']): Promise<string> {
  const page = await app.inject({ url: '/' });
  const ts = /name="ts" value="([^"]+)"/.exec(page.body)?.[1];
  if (!ts) throw new Error('no ts field on the subscribe form');
  return ts;
}

/**
 * Opens a confirmation link as a person does: the page (GET, which changes nothing), then
 * its button (POST with the token from the page's form).
 */
export async function confirmVia(app: Harness['app'], url: string) {
  const page = await app.inject({ url });
  const token = /name="token" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) return page;
  return app.inject({ method: 'POST', url: '/confirm', headers: FORM, payload: form({ token }) });
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

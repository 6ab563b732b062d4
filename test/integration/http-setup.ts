import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { editionWindow } from '../../src/digests/edition-window.js';
import { createVariantStore } from '../../src/digests/variant-store.js';
import type { HttpLimits } from '../../src/http/deps.js';
import type { Logger } from '../../src/log.js';
import type { MailEnvelope, StructuredMail } from '../../src/mail/transport.js';
import { createServices } from '../../src/services.js';
import { createHttpApp } from '../../src/start-http.js';
import { deletePrefix, TEST_REDIS_CLUSTER, TEST_REDIS_URL } from '../helpers/redis.js';
import { startSmtpSink, type ReceivedMessage } from '../helpers/smtp-sink.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const SECRET = 'test-secret-0123456789abcdef0123456789';

/**
 * A message the app sent, as the SMTP server received it: read back with mailparser (every
 * header by its name), `to` the one recipient, with the bytes and the envelope.
 */
export type SentMail = StructuredMail & { raw: Buffer; envelope: MailEnvelope };

/**
 * The HTTP app as the server builds it (src/start-http.ts `createHttpApp` from the composition
 * root, src/services.ts), on the test Redis under a fresh prefix (or a private redis-server),
 * sending through a real SMTP server in this process. `sent` holds what that server received,
 * read back, in order; `triggered()` what is waiting on the real build queue (no worker runs).
 */
export async function httpHarness(
  name: string,
  opts: {
    env?: Record<string, string>;
    limits?: HttpLimits;
    now?: () => Date;
    /** A private redis-server's URL (else the test Redis, under a fresh prefix). */
    redisUrl?: string;
    /** Where the app logs (default: nowhere). */
    log?: Logger;
  } = {},
) {
  const sent: SentMail[] = [];
  const smtp = await startSmtpSink({ onMessage: async (m) => void sent.push(await readBack(m)) });
  const prefix = `{t-${name}-${randomBytes(4).toString('hex')}}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), `http-${name}-`));
  const config = loadConfig({
    REDIS_URL: opts.redisUrl ?? TEST_REDIS_URL,
    REDIS_CLUSTER: String(!opts.redisUrl && TEST_REDIS_CLUSTER),
    REDIS_PREFIX: prefix,
    PUBLIC_URL: 'http://localhost:3000',
    SITE_NAME: 'Test Digest',
    DATA_DIR: dataDir,
    SECRET,
    ADMIN_TOKEN,
    SMTP_URL: smtp.url,
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const made = await createContext(config, { logName: 'http' });
  const ctx = opts.log ? { ...made, log: opts.log } : made;
  const services = createServices(ctx, { now: opts.now });
  const http = await createHttpApp(ctx, services, {
    // Tests send the form at once; the time-to-submit check has its own test with a clock.
    limits: { subscribePerIpPerMinute: 1000, minFormSeconds: 0, ...opts.limits },
    now: opts.now,
  });
  const { app, redis } = http;
  const web = http.services;
  await app.ready();

  return {
    app,
    config,
    /** The app's own (fail-fast) Redis client, and the stores on it. */
    redis,
    keys: ctx.keys,
    subscribers: web.subscribers,
    feeds: web.feeds,
    topics: web.topics,
    posts: web.posts,
    digestStore: web.digests,
    tokens: web.tokens,
    metrics: services.metrics,
    /** The send and build queues and the rest of the process's services. */
    services,
    smtp,
    sent,
    /** The build jobs waiting on the build queue, oldest first: what was triggered. */
    async triggered() {
      const jobs = await services.queues.build.getJobs(['waiting', 'delayed', 'prioritized']);
      return jobs.sort((a, b) => a.timestamp - b.timestamp).map((j) => j.data as unknown);
    },
    /** Empties the build queue (what `triggered()` returns). */
    async forgetTriggered() {
      await services.queues.build.drain(true);
    },
    /** The admin sessions on the same Redis, as `digest admin …` sees them. */
    sessions: services.adminSessions,
    ingest: web.ingest,
    ingestQueue: services.queues.ingest,
    bullConnection: services.bullConnection,
    /** Stores a digest for `date` with the given status, as the build would. */
    async storeDigest(
      date: string,
      status: 'sending' | 'sent',
      html = '<html><body><p>Digest body</p><a href="%%UNSUBSCRIBE_URL%%">Unsubscribe</a></body></html>',
      postIds: string[] = [],
    ) {
      const window = editionWindow({ frequency: 'weekly', date }, config.digest);
      await web.digests.create(window, new Date());
      const content = { subject: `Digest ${date}`, html, text: 'Text %%UNSUBSCRIBE_URL%%' };
      await createVariantStore({ redis, keys: ctx.keys }).store(window.id, 'main', {
        ...content,
        postIds,
        beyond: 0,
      });
      await web.digests.storeContent(
        window.id,
        { subject: content.subject, variant: 'main', postIds },
        new Date(),
      );
      if (status === 'sent') await redis.hset(ctx.keys.digest(window.id), 'status', 'sent');
    },
    /** Closes as src/server.ts does on shutdown, then removes the test's keys and files. */
    async close() {
      await app.close();
      if (!opts.redisUrl) await deletePrefix(ctx.redis, prefix);
      await services.close();
      await ctx.close();
      await smtp.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof httpHarness>>;

/** Runs `fn` on a harness of its own and always closes it (its background work drains first). */
export async function withHarness<T>(
  name: string,
  opts: Parameters<typeof httpHarness>[1],
  fn: (h: Harness) => Promise<T>,
): Promise<T> {
  const h = await httpHarness(name, opts);
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

/**
 * An admin logged in by the login form, as a browser is: the session cookie, the CSRF token
 * of `pageUrl`, and requests that carry them.
 */
export async function adminLogin(h: Harness, pageUrl = '/admin') {
  const login = await postForm(h.app, '/admin/login', { token: ADMIN_TOKEN });
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  const page = await h.app.inject({ url: pageUrl, headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  return {
    cookie,
    csrf,
    /** GET with the session. */
    page: (url: string) => h.app.inject({ url, headers: { cookie } }),
    /** A form POST with the session and its CSRF token. */
    post: (url: string, fields: Record<string, string>) =>
      postForm(h.app, url, { ...fields, _csrf: csrf }, { headers: { cookie } }),
  };
}

/** A received message as a test reads it: the parts decoded, the headers by name. */
async function readBack(m: ReceivedMessage): Promise<SentMail> {
  const mail = await simpleParser(m.raw);
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
  const to = m.to.length === 1 ? m.to[0]! : m.to.join(', ');
  return {
    from: headers.From ?? '',
    to,
    subject: mail.subject ?? '',
    html: String(mail.html),
    text: mail.text ?? '',
    headers,
    raw: m.raw,
    envelope: { from: m.from, to },
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
  return postForm(app, '/confirm', { token });
}

/**
 * POSTs `fields` to `url` as a browser submits a form (form-urlencoded; a name may repeat, as
 * ticked checkboxes do, when `fields` is a list of pairs).
 */
export function postForm(
  app: Harness['app'],
  url: string,
  fields: Record<string, string> | [string, string][],
  opts: { remoteAddress?: string; headers?: Record<string, string> } = {},
) {
  return app.inject({
    method: 'POST',
    url,
    ...(opts.remoteAddress === undefined ? {} : { remoteAddress: opts.remoteAddress }),
    headers: { ...FORM, ...opts.headers },
    payload: new URLSearchParams(fields).toString(),
  });
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

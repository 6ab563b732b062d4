import { simpleParser } from 'mailparser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { createTokens } from '../../src/subscribers/tokens.js';
import { launchChromium, startService, type E2eService } from './e2e-service.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';
import { workerGroup, type WorkerGroup } from './worker-process.js';

/**
 * What the "own digest" browser suites share: a feed whose items carry categories, the digests
 * an SMTP sink received (parsed), a reader subscribing and confirming in Chromium, and worker
 * processes started at a set clock (test/helpers/shifted-clock.ts).
 */

/**
 * The parts every own-digest suite runs, started in beforeAll (within `startMs` x 2) and stopped
 * in afterAll: an SMTP sink; the HTTP server alone (src/server.ts) on `env` with LOG_LEVEL info,
 * its clock reading `clockAt` (test/helpers/shifted-clock.ts), mailing the sink; Chromium; and
 * the worker processes the suite starts (`workers`, `zoneAt`), each killed at the end.
 * `leadMs`: how long before its zone's instant a worker starts; `deliveryMs`: how long one
 * zone's deliveries may take.
 */
export function ownDigestSuite(
  name: string,
  env: Record<string, string>,
  opts: { clockAt: number; startMs: number; leadMs: number; deliveryMs: number },
) {
  let svc: E2eService | undefined;
  let sink: SmtpSink | undefined;
  let browser: Browser | undefined;
  const workers = workerGroup();
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('ownDigestSuite: used before its beforeAll ran');
    return v;
  };
  beforeAll(async () => {
    sink = await startSmtpSink();
    svc = await startService(
      name,
      {
        SMTP_URL: sink.url,
        TEST_CLOCK_OFFSET_MS: String(opts.clockAt - Date.now()),
        LOG_LEVEL: 'info',
        ...env,
      },
      { entry: 'src/server.ts', nodeArgs: ['--import', './test/helpers/shifted-clock.ts'] },
    );
    browser = await launchChromium();
  }, opts.startMs * 2);
  afterAll(async () => {
    await workers.killAll();
    await browser?.close();
    await svc?.stop();
    await sink?.close();
  }, 60_000);
  return {
    get svc() {
      return started(svc);
    },
    get sink() {
      return started(sink);
    },
    get browser() {
      return started(browser);
    },
    workers,
    /** A worker just before `at`, until `sends` are counted; then it is killed (zoneWorker). */
    zoneAt: (at: number, sends: ZoneSends) =>
      zoneWorker(
        started(svc),
        { at, leadMs: opts.leadMs, timeoutMs: opts.deliveryMs, workers },
        sends,
      ),
  };
}

export interface FeedItem {
  /** Its link, which is also how a digest shows it: `https://<blog>.example/<id>`. */
  url: string;
  title: string;
  date: string;
  categories: string[];
}

/** An RSS 2.0 document whose items carry `<category>` elements. */
export function categorizedFeed(title: string, items: FeedItem[]): string {
  const item = (i: FeedItem) =>
    `<item><title>${i.title}</title><link>${i.url}</link><guid>${i.url}</guid>` +
    `<pubDate>${new Date(i.date).toUTCString()}</pubDate><description>About ${i.title}.</description>` +
    i.categories.map((c) => `<category>${c}</category>`).join('') +
    `</item>`;
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title><link>https://${title.toLowerCase()}.example/</link>
${items.map(item).join('\n')}
</channel></rss>`;
}

/** One digest message as the SMTP server received it. */
export interface DigestMail {
  to: string;
  /** Its Date header (ms): when the worker wrote it, by the worker's clock. */
  at: number;
  /** The edition it carries, from its "view in browser" link: `daily/2027-02-01`. */
  edition: string;
  /** The post links in its text part, in order. */
  posts: string[];
}

const POST_LINK = /https:\/\/[a-z]+\.example\/[a-z0-9-]+/g;

/** The post links of a text or HTML body (each `https://<blog>.example/<id>`). */
export function postLinks(body: string): string[] {
  return body.match(POST_LINK) ?? [];
}

/** Every digest the sink received (a message with a List-Id), parsed. */
export async function digestMails(sink: SmtpSink): Promise<DigestMail[]> {
  const out: DigestMail[] = [];
  for (const m of sink.messages) {
    const raw = m.raw.toString();
    if (!/^List-Id:/im.test(raw.split('\r\n\r\n')[0]!)) continue;
    const mail = await simpleParser(m.raw);
    const text = mail.text ?? '';
    const edition = /\/digests\/([a-z]+\/\d{4}-\d{2}-\d{2})/.exec(text)?.[1] ?? '?';
    for (const to of m.to) {
      out.push({ to, at: mail.date?.getTime() ?? NaN, edition, posts: postLinks(text) });
    }
  }
  return out;
}

/** The newest `pathname?token=…` link in a mail the sink received for `to`. */
async function linkInSink(sink: SmtpSink, to: string, pathname: string) {
  for (const m of [...sink.messages].reverse()) {
    if (!m.to.includes(to)) continue;
    const text = (await simpleParser(m.raw)).text ?? '';
    const link = new RegExp(`https?://\\S+${pathname}\\?token=[A-Za-z0-9_-]+`).exec(text);
    if (link) return link[0];
  }
  return undefined;
}

export interface Reader {
  email: string;
  /** The browser's zone: the subscribe form sends it. */
  browserTz: string;
  /** Picked on the subscribe form (where the site offers a choice). */
  frequency?: 'Daily' | 'Weekly' | 'Monthly';
  topics?: string[];
}

/**
 * `r` subscribes on the home page in a browser in their zone, then confirms through the link
 * in their confirmation mail. Resolves with their page, left on the confirmation.
 */
export async function subscribeAndConfirm(
  browser: Browser,
  svc: E2eService,
  sink: SmtpSink,
  r: Reader,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ timezoneId: r.browserTz });
  const page = await context.newPage();
  page.setDefaultNavigationTimeout(60_000);
  page.setDefaultTimeout(60_000);
  await page.goto(`${svc.base}/`);
  await page.getByLabel('Email address').fill(r.email);
  if (r.frequency)
    await page.getByRole('group', { name: 'How often' }).getByLabel(r.frequency).check();
  for (const t of r.topics ?? []) {
    await page
      .getByRole('group', { name: /Topics/ })
      .getByLabel(t)
      .check();
  }
  // A person takes a moment: the form refuses a submit within 2 s of showing it.
  await page.waitForTimeout(2500);
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  const link = await svc.waitFor(`the confirmation mail to ${r.email}`, () =>
    linkInSink(sink, r.email, '/confirm'),
  );
  await page.goto(link);
  await page.getByRole('button', { name: 'Confirm my subscription' }).click();
  await page.getByRole('heading', { name: 'Subscription confirmed' }).waitFor();
  return { context, page };
}

export interface AdminSubscriber {
  id: number;
  email: string;
  status: string;
  frequency?: string;
  tz?: string;
  topics: string[];
}

/** The subscriber `email` as the admin API shows it. */
export async function adminSubscriber(svc: E2eService, email: string) {
  const res = await fetch(`${svc.base}/admin/api/subscribers?search=${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${svc.adminToken}` },
  });
  const body = (await res.json()) as { subscribers: AdminSubscriber[] };
  return body.subscribers.find((s) => s.email === email);
}

/** The preferences link every digest's footer carries, signed with the service's SECRET. */
export async function preferencesUrl(svc: E2eService, email: string): Promise<string> {
  const sub = await adminSubscriber(svc, email);
  if (!sub) throw new Error(`no subscriber ${email}`);
  return `${svc.base}/preferences?token=${createTokens(svc.env.SECRET!).sign('preferences', sub.id)}`;
}

/** An admin API call with the service's token; throws unless the status is `expect`. */
export async function adminApi(
  svc: E2eService,
  method: string,
  pathname: string,
  body?: unknown,
  expect = 200,
): Promise<unknown> {
  const res = await fetch(`${svc.base}/admin/api${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${svc.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** An edition's summary from the admin API (status, counters, zones). */
export async function editionSummary(svc: E2eService, edition: string) {
  return (await adminApi(svc, 'GET', `/digests/${encodeURIComponent(edition)}`)) as {
    status: string;
    counters: { recipients: number; sent: number };
    zones: { zone: string; at: string; subscribers: number; sent: number; state: string }[];
  };
}

/** [edition, zone, deliveries counted in that zone]. */
export type ZoneSends = [edition: string, zone: string, sent: number][];

/**
 * A worker process (`workers/main.ts`) with the service's settings, started in `workers` with
 * its clock at `at` - `leadMs` (test/helpers/shifted-clock.ts); once each zone of `sends` has
 * its deliveries counted (after their ledger writes: README "The schedule"), it is SIGKILLed.
 */
export async function zoneWorker(
  svc: E2eService,
  opts: { at: number; leadMs: number; timeoutMs: number; workers: WorkerGroup },
  sends: ZoneSends,
): Promise<void> {
  const w = await opts.workers.at(svc.env, opts.at - opts.leadMs);
  for (const [edition, zone, sent] of sends) {
    await svc.waitFor(
      `${edition} ${zone}: ${sent} sent`,
      async () =>
        (await editionSummary(svc, edition)).zones.find((z) => z.zone === zone)?.sent === sent,
      opts.timeoutMs,
    );
  }
  await opts.workers.kill(w);
}

/** Whether the Date header `at` reads 09:00 (the hour) in `tz`. */
export function localHour(at: number, tz: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    hour: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}

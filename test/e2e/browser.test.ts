import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  hasChromium,
  launchChromium,
  startService,
  type E2eService,
} from '../helpers/e2e-service.js';
import { screenshotsDir } from '../helpers/screenshots.js';

/**
 * The browser suite: the real service (`src/main.ts`: HTTP and workers in one process, mail to
 * the outbox) driven by Debian's chromium through playwright-core. It takes the README's
 * screenshots into a temporary folder; `npm run screenshots` (SCREENSHOTS_DIR=docs/screenshots)
 * writes them over the tracked ones, so `npm test` leaves the tree clean.
 */
if (!hasChromium) {
  console.warn(
    `[e2e] skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

const shots = screenshotsDir();
const SHOTS = shots.dir;
const READER = 'reader@example.com';

let svc: E2eService;
let outbox: string;
let base: string;
let browser: Browser;
let page: Page;

const waitFor: E2eService['waitFor'] = (what, fn, timeoutMs) => svc.waitFor(what, fn, timeoutMs);

/** Every message in the outbox, parsed. */
type Mail = ParsedMail & { raw: string };

async function outboxMails(): Promise<Mail[]> {
  if (!existsSync(outbox)) return [];
  const files = readdirSync(outbox)
    .filter((f) => f.endsWith('.eml'))
    .sort();
  return Promise.all(
    files.map(async (f) => {
      const raw = readFileSync(path.join(outbox, f));
      return Object.assign(await simpleParser(raw), { raw: raw.toString('latin1') });
    }),
  );
}

/** A header of the raw message, unfolded (mailparser groups the List-* headers). */
function rawHeader(mail: Mail, name: string): string | undefined {
  const head = mail.raw.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1];
}

async function mailTo(to: string, subject: RegExp): Promise<Mail> {
  return waitFor(`mail to ${to} matching ${subject}`, async () =>
    (await outboxMails()).find(
      (m) => m.to && JSON.stringify(m.to).includes(to) && subject.test(m.subject ?? ''),
    ),
  );
}

async function api(method: string, url: string, body?: object) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${svc.adminToken}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function subscriberStatus(email: string): Promise<string | undefined> {
  const res = await api('GET', `/admin/api/subscribers?search=${encodeURIComponent(email)}`);
  const list = res.body.subscribers as { email: string; status: string }[];
  return list.find((s) => s.email === email)?.status;
}

// Each test is bounded by its own waits (30 s per navigation or mail, 45 s for a send), not by
// vitest's 30 s default for the whole test.
describe.skipIf(!hasChromium)('in a real browser', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    svc = await startService('e2e', {
      SITE_NAME: 'The Example Blog Weekly',
      POSTAL_ADDRESS: '1 Example Street, Exampleton',
      LOG_LEVEL: 'info',
    });
    base = svc.base;
    // No SMTP_URL: mail goes to the outbox, DATA_DIR/outbox by default.
    outbox = path.join(svc.dir, 'outbox');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    shots.remove();
    await svc?.stop();
  }, 30_000);

  it('subscribes, confirms from the emailed link, and is confirmed', async () => {
    await page.goto(`${base}/`);
    await page.screenshot({ path: path.join(SHOTS, 'subscribe.png'), fullPage: true });
    await page.getByLabel('Email address').fill(READER);
    // A person takes a moment to type: the form refuses a submit within 2 s of showing it.
    await page.waitForTimeout(2500);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();

    const mail = await mailTo(READER, /confirm/i);
    const link = /https?:\/\/\S+\/confirm\?token=[A-Za-z0-9_-]+/.exec(mail.text ?? '')?.[0];
    expect(link).toBeDefined();
    // The link opens a page; only its button confirms (scanners that follow links do not).
    await page.goto(link!);
    await page.getByRole('heading', { name: 'Confirm your subscription' }).waitFor();
    expect(await subscriberStatus(READER)).toBe('pending');
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await page.getByRole('heading', { name: 'Subscription confirmed' }).waitFor();
    expect(await subscriberStatus(READER)).toBe('confirmed');
    // The time zone came from the browser's script.
    const list = (await api('GET', `/admin/api/subscribers?search=reader`)).body.subscribers as {
      tz?: string;
    }[];
    expect(list[0]?.tz).toBeTruthy();
  }, 60_000);

  it('the admin logs in, previews, test-sends, triggers and watches the digest go out', async () => {
    for (const [i, title] of [
      'Shipping the new search',
      'Notes from the reliability review',
      'A faster build, step by step',
    ].entries()) {
      const res = await api('POST', '/admin/api/posts', {
        title,
        url: `https://blog.example/posts/${i + 1}`,
        summary: `What we learned about ${title.toLowerCase()}, with the numbers.`,
        date: new Date(Date.now() - (i + 1) * 3600_000).toISOString(),
      });
      expect(res.status).toBe(201);
    }

    await page.goto(`${base}/admin`);
    await page.getByLabel('Admin token').fill(svc.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.content()).toContain('Shipping the new search');

    await page.getByRole('link', { name: 'Preview' }).click();
    await page.getByRole('heading', { name: /^Preview/ }).waitFor();
    const frame = page.frameLocator('iframe.desktop');
    await frame.getByRole('link', { name: 'Shipping the new search' }).first().waitFor();
    expect(await page.locator('pre.text').textContent()).toContain(
      'Notes from the reliability review',
    );
    await page.screenshot({ path: path.join(SHOTS, 'preview.png') });

    await page.getByLabel('Send one copy to').fill('editor@example.com');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Test sent.').waitFor();
    await mailTo('editor@example.com', /^\[Test\]/);

    // The trigger page renders the digest (MJML) on the server: on a loaded 2-core machine that
    // takes seconds, so navigations here get the same 30 s as the other waits of this suite.
    await Promise.all([
      page.waitForURL(/\/admin\/trigger\?date=/, { timeout: 30_000 }),
      page.getByRole('link', { name: 'Send to all subscribers…' }).click(),
    ]);
    await page
      .getByRole('button', { name: 'Yes, send it' })
      .click({ timeout: 30_000 })
      .catch(async (err: Error) => {
        throw new Error(`${err.message}\n${page.url()}\n${(await page.content()).slice(0, 3000)}`);
      });
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const date = /digest of (\d{4}-\d{2}-\d{2})/.exec(
      (await page.locator('.notice').textContent()) ?? '',
    )?.[1];
    expect(date).toBeDefined();
    // The polling script updates the row (or reloads once the new digest appears).
    const status = page.locator(`tr[data-date="${date}"] [data-field="status"]`);
    await waitFor(
      'the dashboard to show the digest sent',
      async () => ((await status.count()) && (await status.textContent()) === 'sent') || undefined,
      45_000,
    ).catch(async (err: Error) => {
      const digests = JSON.stringify((await api('GET', '/admin/api/digests')).body);
      throw new Error(
        `${err.message}\nAPI: ${digests}\nrow: ${await page
          .locator('[data-live-digests]')
          .innerHTML()
          .catch(() => 'none')}`,
      );
    });
    expect(await page.locator(`tr[data-date="${date}"] [data-field="sent"]`).textContent()).toBe(
      '1',
    );
    await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });

    const digest = await mailTo(READER, /^(?!\[Test\])(?!.*[Cc]onfirm)/);
    expect(digest.html).toContain('Shipping the new search');
    // PUBLIC_URL is http here: List-Unsubscribe, but no one-click POST (RFC 8058 §3)
    expect(rawHeader(digest, 'List-Unsubscribe')).toMatch(
      /^<http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=/,
    );
    expect(rawHeader(digest, 'List-Unsubscribe-Post')).toBeUndefined();

    await page.setViewportSize({ width: 800, height: 900 });
    await page.goto(`${base}/digests/${date}`);
    await page.getByRole('link', { name: 'Shipping the new search' }).first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'digest.png'), fullPage: true });
  }, 120_000);

  it('the List-Unsubscribe one-click POST unsubscribes; the page works in the browser too', async () => {
    const digest = await mailTo(READER, /^(?!\[Test\])(?!.*[Cc]onfirm)/);
    const url = /<(https?:[^>]+)>/.exec(rawHeader(digest, 'List-Unsubscribe') ?? '')?.[1];
    expect(url).toMatch(/\/unsubscribe\?token=/);

    const res = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await subscriberStatus(READER)).toBe('unsubscribed');

    // In the browser: subscribe again from the page, then unsubscribe with the button.
    await page.goto(url!);
    await page.getByRole('heading', { name: 'Unsubscribe' }).waitFor();
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
    await page.getByRole('button', { name: 'Subscribe again' }).click();
    await page.getByText('You are subscribed again.').waitFor();
    expect(await subscriberStatus(READER)).toBe('confirmed');

    await page.goto(url!);
    expect(await subscriberStatus(READER)).toBe('confirmed'); // a GET never unsubscribes
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
    expect(await subscriberStatus(READER)).toBe('unsubscribed');
  }, 60_000);
});

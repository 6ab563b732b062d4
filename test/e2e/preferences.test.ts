import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokens } from '../../src/subscribers/tokens.js';
import { deletePrefix, TEST_REDIS_URL } from '../helpers/redis.js';
import { freePort } from '../helpers/redis-server.js';

/**
 * A reader's choice in a real browser: the real service (src/main.ts, mail to the outbox)
 * offering three frequencies; the reader picks one on the subscribe form, confirms from the
 * emailed link, and finds it on the preferences page in words, then changes it there.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ROOT = path.resolve(import.meta.dirname, '../..');
const ADMIN_TOKEN = `e2e-${randomBytes(12).toString('hex')}`;
const PREFIX = `{t-e2e-prefs-${randomBytes(4).toString('hex')}}`;
const READER = 'chooser@example.com';
const SECRET = `e2e-secret-${randomBytes(16).toString('hex')}`;

let dir: string;
let base: string;
let server: ChildProcess | undefined;
let serverLog = '';
let browser: Browser;
let page: Page;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}\n--- server log ---\n${serverLog.slice(-4000)}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The link to `pathname` in the newest mail to `to` in the outbox. */
async function linkInMail(to: string, pathname: string): Promise<string> {
  const outbox = path.join(dir, 'outbox');
  return waitFor(`a ${pathname} link to ${to}`, async () => {
    if (!existsSync(outbox)) return undefined;
    const files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    for (const f of files.sort().reverse()) {
      const mail = await simpleParser(readFileSync(path.join(outbox, f)));
      if (!JSON.stringify(mail.to).includes(to)) continue;
      const m = new RegExp(`https?://\\S+${pathname}\\?token=[A-Za-z0-9_-]+`).exec(mail.text ?? '');
      if (m) return m[0];
    }
    return undefined;
  });
}

async function subscriber(email: string) {
  const res = await fetch(`${base}/admin/api/subscribers?search=${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const body = (await res.json()) as {
    subscribers: { id: number; email: string; frequency?: string; tz?: string; topics: string[] }[];
  };
  return body.subscribers.find((s) => s.email === email);
}

describe.skipIf(!hasChromium)('choosing how often, in a real browser', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'digest-e2e-prefs-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: PREFIX,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: base,
        DATA_DIR: dir,
        OUTBOX_DIR: path.join(dir, 'outbox'),
        ADMIN_TOKEN,
        SECRET,
        DIGEST_FREQUENCIES: 'daily,weekly,monthly',
        DIGEST_TZ: 'Europe/Berlin',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
    await waitFor(
      'the service to be ready',
      async () => {
        try {
          return (await fetch(`${base}/readyz`)).ok || undefined;
        } catch {
          return undefined;
        }
      },
      60_000,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox'],
    });
    // A Tokyo reader: the form's script sends the browser's zone.
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
    page = await context.newPage();
    page.setDefaultNavigationTimeout(30_000);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const gone = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    const redis = new Redis(TEST_REDIS_URL);
    await deletePrefix(redis, PREFIX);
    redis.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('picks a frequency and topics on the subscribe form and finds them on the preferences page', async () => {
    for (const [name, category] of [
      ['Go', 'golang'],
      ['Redis', 'redis'],
      ['Rust', 'rust'],
    ]) {
      const res = await fetch(`${base}/admin/api/topics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, categories: [category] }),
      });
      expect(res.status).toBe(201);
    }
    await page.goto(`${base}/`);
    await page.getByLabel('Email address').fill(READER);
    const group = page.getByRole('group', { name: 'How often' });
    expect(await group.getByLabel('Weekly').isChecked()).toBe(true);
    await group.getByLabel('Monthly').check();
    const topics = page.getByRole('group', { name: /Topics/ });
    await topics.getByLabel('Go').check();
    await topics.getByLabel('Redis').check();
    // A person takes a moment: the form refuses a submit within 2 s of showing it.
    await page.waitForTimeout(2500);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    expect(await subscriber(READER)).toMatchObject({
      frequency: 'monthly',
      tz: 'Asia/Tokyo',
      topics: ['Go', 'Redis'],
    });

    await page.goto(await linkInMail(READER, '/confirm'));
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await page.getByRole('heading', { name: 'Subscription confirmed' }).waitFor();

    const sub = (await subscriber(READER))!;
    // The preferences link every digest's footer carries, signed with the service's SECRET.
    await page.goto(
      `${base}/preferences?token=${createTokens(SECRET).sign('preferences', sub.id)}`,
    );
    await expect
      .poll(() => page.locator('#delivery').textContent())
      .toBe('monthly, on the 1st of the month at 09:00 Asia/Tokyo; topics: Go, Redis');
    expect(
      await page
        .getByRole('group', { name: /Topics/ })
        .getByLabel('Redis')
        .isChecked(),
    ).toBe(true);
    expect(
      await page
        .getByRole('group', { name: /Topics/ })
        .getByLabel('Rust')
        .isChecked(),
    ).toBe(false);
    expect(
      await page.getByRole('group', { name: 'How often' }).getByLabel('Monthly').isChecked(),
    ).toBe(true);

    await page.getByRole('group', { name: 'How often' }).getByLabel('Daily').check();
    await page
      .getByRole('group', { name: /Topics/ })
      .getByLabel('Go')
      .uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    expect(await page.locator('#delivery').textContent()).toBe(
      'daily at 09:00 Asia/Tokyo; topics: Redis',
    );
    expect(await subscriber(READER)).toMatchObject({ frequency: 'daily', topics: ['Redis'] });
  }, 120_000);
});

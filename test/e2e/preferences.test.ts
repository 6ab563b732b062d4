import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokens } from '../../src/subscribers/tokens.js';
import {
  hasChromium,
  launchChromium,
  startService,
  type E2eService,
} from '../helpers/e2e-service.js';

/**
 * A reader's choice in a real browser: the real service (src/main.ts, mail to the outbox)
 * offering three frequencies; the reader picks one on the subscribe form, confirms from the
 * emailed link, and finds it on the preferences page in words, then changes it there.
 */
const READER = 'chooser@example.com';
const SECRET = `e2e-secret-${randomBytes(16).toString('hex')}`;

let svc: E2eService;
let base: string;
let browser: Browser;
let page: Page;

const waitFor: E2eService['waitFor'] = (what, fn, timeoutMs) => svc.waitFor(what, fn, timeoutMs);

/** The link to `pathname` in the newest mail to `to` in the outbox. */
async function linkInMail(to: string, pathname: string): Promise<string> {
  const outbox = path.join(svc.dir, 'outbox');
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
    headers: { authorization: `Bearer ${svc.adminToken}` },
  });
  const body = (await res.json()) as {
    subscribers: { id: number; email: string; frequency?: string; tz?: string; topics: string[] }[];
  };
  return body.subscribers.find((s) => s.email === email);
}

describe.skipIf(!hasChromium)('choosing how often, in a real browser', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    // No SMTP_URL: mail goes to the outbox, DATA_DIR/outbox.
    svc = await startService('e2e-prefs', {
      SECRET,
      DIGEST_FREQUENCIES: 'daily,weekly,monthly',
      DIGEST_TZ: 'Europe/Berlin',
      LOG_LEVEL: 'info',
    });
    base = svc.base;
    browser = await launchChromium();
    // A Tokyo reader: the form's script sends the browser's zone.
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
    page = await context.newPage();
    page.setDefaultNavigationTimeout(30_000);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
  }, 30_000);

  it('picks a frequency and topics on the subscribe form and finds them on the preferences page', async () => {
    for (const [name, category] of [
      ['Go', 'golang'],
      ['Redis', 'redis'],
      ['Rust', 'rust'],
    ]) {
      const res = await fetch(`${base}/admin/api/topics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'application/json' },
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

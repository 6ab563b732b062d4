import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasChromium,
  launchChromium,
  startService,
  type E2eService,
} from '../helpers/e2e-service.js';
import { htmlPage, rssFeed, startFeedSite, type FeedSite } from '../helpers/feed-site.js';
import { screenshotsDir } from '../helpers/screenshots.js';

/**
 * The admin on a phone and feed discovery, in Chromium against the real service (src/main.ts).
 * Every admin page must fit 390 and 360 px: no sideways scroll (scrollWidth <= clientWidth).
 * Screenshots go to SCREENSHOTS_DIR when set (`npm run screenshots`), else to a temp folder.
 */
let svc: E2eService;
let shots: string;
let removeShots: () => void = () => undefined;
let base: string;
let site: FeedSite;
let browser: Browser;
let page: Page;

/** How far the page scrolls sideways (0 when it fits). */
// Run in the page (a string: this project's TypeScript has no DOM types).
const overflow = (p: Page) =>
  p.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

describe.skipIf(!hasChromium)('admin on a phone, feed discovery (Chromium)', () => {
  beforeAll(async () => {
    ({ dir: shots, remove: removeShots } = screenshotsDir());
    site = await startFeedSite();
    const posts = Array.from({ length: 6 }, (_, i) => ({
      title: `A rather long post title number ${i + 1} that wraps on a phone`,
      link: `https://blog.example/posts/a-long-slug-that-does-not-break-easily-${i + 1}`,
      date: new Date(Date.now() - (i + 1) * 86_400_000).toISOString(),
    }));
    site.routes.set('/feed.xml', ['application/rss+xml', rssFeed('Example Blog', posts)]);
    site.routes.set('/comments.xml', ['application/rss+xml', rssFeed('Comments', [])]);
    site.routes.set('/', [
      'text/html',
      htmlPage([
        { type: 'application/rss+xml', href: 'feed.xml', title: 'Posts' },
        { type: 'application/atom+xml', href: 'comments.xml', title: 'Comments' },
      ]),
    ]);
    svc = await startService('e2e-phone', {
      FEED_ALLOW_PRIVATE: 'true',
      SITE_NAME: 'The Example Blog Weekly',
      ACCENT_COLOR: '#7c3aed',
    });
    base = svc.base;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${base}/admin/login`);
    await page.fill('#token', svc.adminToken);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    removeShots();
    await svc?.stop();
    await site?.close();
  });

  it('discovers the feeds of a blog page, lets the admin choose, and fetches with progress', async () => {
    await page.goto(`${base}/admin/feeds`);
    await page.fill('#feed-url', `${site.base}/`);
    await page.click('form[action="/admin/feeds"] button[type=submit]:has-text("Add")');
    await page.waitForSelector('[data-choose-feed]');
    expect(await page.locator('[data-choose-feed]').count()).toBe(2);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.locator(`form:has(input[value="${site.base}/feed.xml"]) [data-choose-feed]`).click();
    await page.waitForSelector('text=Added');
    await page.click('button:has-text("Fetch all feeds now")');
    await page.waitForSelector('[data-ingest-job]').catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${page.url()}\n${(await page.content()).slice(0, 3000)}`);
    });
    // admin.js follows the job until the worker has fetched every feed.
    await page.waitForSelector('text=Done: 1 of 1 feed fetched, 6 new posts.', { timeout: 60_000 });
    await page.screenshot({ path: path.join(shots, 'feeds-phone.png'), fullPage: true });
  }, 120_000);

  it('every admin page fits 390 and 360 px without scrolling sideways', async () => {
    // Something in every table: a subscriber, a digest.
    await page.goto(`${base}/admin/subscribers`);
    await page.fill('#add-email', 'someone.with.a.long.address@subdomain.example.org');
    await page.check('input[name=confirmed]');
    await page.click('form[method=post][action="/admin/subscribers"] button[type=submit]');
    await page.waitForSelector('.notice:has-text("Added someone")').catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${page.url()}\n${(await page.content()).slice(0, 3000)}`);
    });
    const next = await page.request.get(`${base}/admin/api/digests`, {
      headers: { authorization: `Bearer ${svc.adminToken}` },
    });
    expect(next.ok()).toBe(true);
    await page.goto(`${base}/admin`);
    const previewHref = await page.locator('a:has-text("Preview")').first().getAttribute('href');
    const topic = await page.request.post(`${base}/admin/api/topics`, {
      headers: { authorization: `Bearer ${svc.adminToken}` },
      data: {
        name: 'A topic with a long name',
        feeds: [`${site.base}/feed.xml`],
        categories: ['a-rather-long-category-term-without-any-spaces', 'go'],
      },
    });
    expect(topic.status()).toBe(201);
    const pages = [
      '/admin',
      '/admin/subscribers',
      '/admin/feeds',
      '/admin/topics',
      previewHref!,
      '/admin/trigger',
    ];
    for (const width of [390, 360]) {
      await page.setViewportSize({ width, height: 844 });
      for (const url of pages) {
        await page.goto(`${base}${url}`);
        expect({ url, width, overflow: await overflow(page) }).toEqual({ url, width, overflow: 0 });
      }
    }
    // Delete asks first: the button is inside a closed confirmation.
    await page.goto(`${base}/admin/subscribers`);
    await expect(page.locator('button.danger').first().isVisible()).resolves.toBe(false);
    await page.locator('details.confirm:has(button.danger) summary').first().click();
    await expect(page.locator('button.danger').first().isVisible()).resolves.toBe(true);
    expect(await overflow(page)).toBe(0);
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, url] of [
      ['dashboard-phone', '/admin'],
      ['subscribers-phone', '/admin/subscribers'],
      ['preview-phone', previewHref!],
    ] as const) {
      await page.goto(`${base}${url}`);
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    }
  }, 120_000);

  it('public pages fit a phone and read in dark mode', async () => {
    const dark = await browser.newPage({
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    try {
      for (const url of ['/', '/digests']) {
        await dark.goto(`${base}${url}`);
        expect(await overflow(dark)).toBe(0);
        const bg = await dark.evaluate<string>('getComputedStyle(document.body).backgroundColor');
        expect(bg).not.toBe('rgb(255, 255, 255)');
      }
      await dark.screenshot({ path: path.join(shots, 'archive-dark-phone.png'), fullPage: true });
      await dark.goto(`${base}/`);
      await dark.screenshot({ path: path.join(shots, 'home-dark-phone.png'), fullPage: true });
      await dark.setViewportSize({ width: 1280, height: 900 });
      await dark.screenshot({ path: path.join(shots, 'home-dark-wide.png'), fullPage: true });
    } finally {
      await dark.close();
    }
  }, 60_000);
});

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestWindow } from '../../src/digests/digest-window.js';
import type { Post } from '../../src/feeds/post.js';
import { readImageSize } from '../../src/feeds/image-size.js';
import { createRenderer } from '../../src/render/render-digest.js';

/**
 * The digest's images in Chromium at a desktop and a phone width: drawn in their own aspect at
 * both (the numeric height attribute Outlook needs must not fix the height once a phone narrows
 * the image), and at the width the attributes give on a desktop.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const IMAGES = path.join(import.meta.dirname, '../fixtures/images');
const FILES = [
  'cover-1201x677.jpg',
  'photo-640x480-orientation-6.jpg',
  'cover-401x227.gif',
  'cover-1201x677.webp',
];
const LOGO = 'logo-320x80.png';
const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  png: 'image/png',
};

let browser: Browser;

describe.skipIf(!hasChromium)('digest images in Chromium', () => {
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox'],
    });
  }, 60_000);
  afterAll(() => browser?.close());

  it('keeps every image in its aspect at 800 and 390 px, and at its attribute size on a desktop', async () => {
    const size = (name: string) => readImageSize(readFileSync(path.join(IMAGES, name)))!;
    const posts: Post[] = FILES.map((name, i) => ({
      id: `p${i}`,
      feed: 'https://blog.example/feed.xml',
      guid: `g${i}`,
      url: `https://blog.example/posts/${i}`,
      title: `Post ${i}`,
      author: undefined,
      publishedAt: new Date(Date.UTC(2026, 2, 8, 12 - i)).toISOString(),
      summary: 'A summary.',
      imageUrl: `https://img.example/${name}`,
      imageSize: size(name),
      firstSeenAt: '2026-03-08T12:00:00Z',
    }));
    const renderer = createRenderer({
      site: {
        name: 'Example Blog',
        publicUrl: 'https://blog.example',
        lang: 'en',
        postalAddress: '1 Example Street',
        accentColor: '#0f766e',
        logoUrl: `https://img.example/${LOGO}`,
      },
      measureLogo: async () => size(LOGO),
    });
    const { html } = await renderer.renderDigest({
      date: '2026-03-09',
      posts,
      window: digestWindow('2026-03-09', { cron: '0 9 * * 1', tz: 'UTC' }),
    });
    for (const width of [800, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      try {
        await page.route('https://img.example/**', (route) => {
          const name = new URL(route.request().url()).pathname.slice(1);
          return route.fulfill({
            contentType: TYPES[name.split('.').pop()!],
            body: readFileSync(path.join(IMAGES, name)),
          });
        });
        await page.setContent(html, { waitUntil: 'load' });
        // Run in the page (a string: this project's TypeScript has no DOM types).
        const drawn = await page.evaluate<
          { src: string; w: number; h: number; nw: number; nh: number; aw: number; ah: number }[]
        >(`[...document.images].map((i) => ({
          src: i.getAttribute('src'), w: i.getBoundingClientRect().width, h: i.getBoundingClientRect().height,
          nw: i.naturalWidth, nh: i.naturalHeight,
          aw: Number(i.getAttribute('width')), ah: Number(i.getAttribute('height')) }))`);
        expect(drawn).toHaveLength(FILES.length + 1);
        for (const img of drawn) {
          const at = `${img.src} at ${width} px`;
          expect(img.nw, at).toBeGreaterThan(0); // it loaded
          // the attributes are the image's own aspect, as Chromium shows it (EXIF orientation)
          expect(Math.abs(img.ah - (img.nh * img.aw) / img.nw), at).toBeLessThanOrEqual(0.5);
          // drawn in that aspect, to a pixel
          expect(Math.abs(img.h - (img.nh * img.w) / img.nw), at).toBeLessThanOrEqual(1);
          if (width === 800) {
            expect(img.w, at).toBe(img.aw);
            expect(Math.round(img.h), at).toBe(img.ah);
          } else {
            expect(img.w, at).toBeLessThanOrEqual(390);
          }
        }
        if (width === 390) {
          // the wide cover is narrowed on the phone, and its height with it
          const cover = drawn.find((d) => d.src.endsWith('cover-1201x677.jpg'))!;
          expect(cover.w).toBeLessThan(cover.aw);
          expect(cover.h).toBeLessThan(cover.ah);
        }
      } finally {
        await page.close();
      }
    }
  }, 60_000);
});

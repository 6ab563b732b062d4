import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Post } from '../../src/feeds/post.js';
import { LOGO_WIDTH, POST_IMAGE_WIDTH } from '../../src/render/digest-view.js';
import { createRenderer } from '../../src/render/render-digest.js';
import { post as samplePost, SITE, WINDOW } from '../helpers/render-fixtures.js';

/**
 * Every image the digest and the confirmation send has numeric width and height attributes
 * (Outlook sizes images by them, not by CSS) in the image's own aspect, and CSS height:auto
 * (so a phone's width:100% does not distort it). An image whose size is unknown is left out.
 */

const site = { ...SITE, logoUrl: 'https://blog.example/logo.png' };
const window = WINDOW;
const LOGO = { width: 320, height: 80 };

/** A post with a cover image (its size given where a test measured it). */
const post = (i: number, extra: Partial<Post> = {}): Post =>
  samplePost(i, { imageUrl: `https://img.example/${i}.jpg`, ...extra });

/** Each <img>: its src, numeric width and height attributes (NaN if not numeric), its style. */
function images(html: string) {
  return [...html.matchAll(/<img\b[^>]*>/g)].map(([tag]) => ({
    src: /\ssrc="([^"]*)"/.exec(tag)?.[1],
    width: Number(/\swidth="([^"]*)"/.exec(tag)?.[1]),
    height: Number(/\sheight="([^"]*)"/.exec(tag)?.[1]),
    style: /\sstyle="([^"]*)"/.exec(tag)?.[1] ?? '',
  }));
}

function measuring() {
  const calls: string[] = [];
  return {
    calls,
    measureLogo: async (url: string) => {
      calls.push(url);
      return url === site.logoUrl ? LOGO : undefined;
    },
  };
}

describe('numeric image sizes', () => {
  it('gives every image numeric width and height in its own aspect, and CSS height:auto', async () => {
    const sizes = [
      { width: 1201, height: 677 }, // wider than the column: narrowed to 544
      { width: 401, height: 227 }, // narrower: its own size
      { width: 480, height: 640 }, // portrait
      { width: 4000, height: 1000 },
    ];
    const posts = sizes.map((imageSize, i) => post(i + 1, { imageSize }));
    const r = createRenderer({ site, ...measuring() });
    const { html } = await r.renderDigest({ date: '2026-03-09', posts, window });
    const imgs = images(html);
    expect(imgs.map((i) => i.src)).toEqual([site.logoUrl, ...posts.map((p) => p.imageUrl)]);
    const expected = [LOGO, ...sizes];
    imgs.forEach((img, i) => {
      const natural = expected[i]!;
      const max = i === 0 ? LOGO_WIDTH : POST_IMAGE_WIDTH;
      expect(img.width, img.src).toBe(Math.min(natural.width, max));
      expect(Number.isInteger(img.height) && img.height > 0, img.src).toBe(true);
      // the aspect, to the rounding of one pixel of height
      expect(
        Math.abs(img.height - (natural.height * img.width) / natural.width),
      ).toBeLessThanOrEqual(0.5);
      expect(img.style).toMatch(/(^|;)height:auto;/);
      expect(img.style).not.toMatch(/height:\s*\d/);
      expect(img.style).toMatch(/(^|;)width:100%;/);
    });
    expect(imgs[1]).toMatchObject({ width: 544, height: 307 }); // 677 * 544 / 1201 = 306.6
    expect(imgs[2]).toMatchObject({ width: 401, height: 227 });
  });

  it('the confirmation email too', async () => {
    const r = createRenderer({ site, ...measuring() });
    const { html } = await r.renderConfirm({
      confirmUrl: 'https://blog.example/c',
      email: 'a@b.example',
    });
    expect(images(html)).toEqual([
      { src: site.logoUrl, width: 160, height: 40, style: expect.stringContaining('height:auto;') },
    ]);
  });

  it('leaves out an image whose size is unknown (not measured yet, or unmeasurable)', async () => {
    const r = createRenderer({ site: { ...site, logoUrl: undefined } });
    const posts = [post(1), post(2, { imageSize: { width: 800, height: 400 } })];
    const { html, text } = await r.renderDigest({ date: '2026-03-09', posts, window });
    expect(images(html).map((i) => i.src)).toEqual(['https://img.example/2.jpg']);
    expect(html).toContain('Post number 1');
    expect(text).toContain('Summary of post 1.');
  });

  it('measures LOGO_URL once per renderer; one it cannot measure gives the site name, with a warning', async () => {
    const m = measuring();
    const r = createRenderer({ site, ...m });
    await r.renderDigest({ date: '2026-03-09', posts: [post(1)], window });
    await r.renderConfirm({ confirmUrl: 'https://blog.example/c', email: 'a@b.example' });
    expect(m.calls).toEqual([site.logoUrl]);

    const warnings: unknown[] = [];
    const broken = createRenderer({
      site: { ...site, logoUrl: 'https://blog.example/missing.png' },
      ...measuring(),
      log: { warn: (...args: unknown[]) => warnings.push(args) },
    });
    const { html } = await broken.renderDigest({ date: '2026-03-09', posts: [post(1)], window });
    expect(images(html)).toEqual([]);
    expect(html).toMatch(/<a href="https:\/\/blog\.example\/"[^>]*>Example Blog<\/a>/);
    await broken.renderConfirm({ confirmUrl: 'https://blog.example/c', email: 'a@b.example' });
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0])).toContain('LOGO_URL');
    // a measurer that fails outright is the same: no logo, no failed render
    const failing = createRenderer({
      site,
      measureLogo: () => Promise.reject(new Error('boom')),
    });
    const out = await failing.renderDigest({ date: '2026-03-09', posts: [post(1)], window });
    expect(images(out.html)).toEqual([]);
  });

  it('drops a height that is not a number, as a custom template without one gets from MJML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tpl-img-'));
    try {
      await mkdir(join(dir, 'partials'));
      await writeFile(
        join(dir, 'partials', 'post.mjml'),
        '<mj-image src="{{imageUrl}}" alt="{{imageAlt}}" /><mj-text>{{title}}</mj-text>',
      );
      const r = createRenderer({ site: { ...site, logoUrl: undefined }, templatesDir: dir });
      const posts = [post(1, { imageSize: { width: 800, height: 400 } })];
      const { html } = await r.renderDigest({ date: '2026-03-09', posts, window });
      const [img] = [...html.matchAll(/<img\b[^>]*>/g)].map((m) => m[0]);
      expect(img).toBeDefined();
      expect(img).not.toMatch(/\sheight=/);
      expect(img).toMatch(/\swidth="\d+"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

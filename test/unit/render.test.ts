import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Post } from '../../src/feeds/post.js';
import { MAX_SUMMARY, MAX_TITLE } from '../../src/render/digest-view.js';
import { fillPlaceholders, PLACEHOLDERS } from '../../src/render/placeholders.js';
import { createRenderer } from '../../src/render/render-digest.js';
import { safeUrl } from '../../src/render/sanitise.js';
import { contrastRatio } from '../../src/render/contrast.js';
import { post, SITE, WINDOW } from '../helpers/render-fixtures.js';

const site = SITE;
const window = WINDOW;
const renderer = createRenderer({ site, validationLevel: 'strict' });

/** A post image as ingest leaves it: measured (1200 x 630, a common cover size). */
const cover = {
  imageUrl: 'https://blog.example/cover.png',
  imageSize: { width: 1200, height: 630 },
};
/** LOGO_URL measured (320 x 80), as the service's measurer would. */
const measured = async (url: string) =>
  url === 'https://blog.example/logo.png' ? { width: 320, height: 80 } : undefined;

const count = (s: string, sub: string) => s.split(sub).length - 1;
/** Attribute values as a browser reads them (Handlebars writes = as &#x3D;, & as &amp;). */
const decode = (v: string) =>
  v
    .replace(/&#x3D;/g, '=')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&');
const attrs = (html: string, name: string) =>
  [...html.matchAll(new RegExp(`\\s${name}="([^"]*)"`, 'g'))].map((m) => decode(m[1]!));
const hrefs = (html: string) => attrs(html, 'href');

const hostile: Post[] = [
  post(1, {
    title: '<script>alert("t")</script> "><img src=x onerror=alert(1)> %%UNSUBSCRIBE_URL%%',
    summary:
      '<style>body{display:none}</style><a href="javascript:alert(2)" onclick="x()">hi</a> %%EMAIL%%',
    url: 'javascript:alert(3)',
    imageUrl: 'data:image/svg+xml,<svg onload=alert(4)>',
    imageSize: { width: 800, height: 400 },
    author: '<b onmouseover=alert(5)>Eve</b>',
  }),
  post(2, {
    title: 'Data link',
    url: 'data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==',
    imageUrl: 'javascript:alert(7)',
    imageSize: { width: 800, height: 400 },
  }),
  post(3, {
    title: 'Quote breaker',
    url: 'https://evil.example/"onmouseover="alert(8)"?q=%%PREFERENCES_URL%%',
    imageUrl: 'https://evil.example/i.png" onerror="alert(9)',
    imageSize: { width: 800, height: 400 },
  }),
];

describe('renderDigest', () => {
  it('passes MJML strict validation for the digest and the confirm email', async () => {
    const digest = await renderer.renderDigest({
      date: '2026-03-09',
      posts: [post(1, { imageUrl: 'https://blog.example/a.png' }), post(2)],
      window,
    });
    expect(digest.warnings).toEqual([]);
    expect(digest.html).toMatch(/^<!doctype html>/i);
    const confirm = await renderer.renderConfirm({
      confirmUrl: 'https://blog.example/confirm?token=abc',
      email: 'a@b.example',
    });
    expect(confirm.warnings).toEqual([]);
  });

  it('refuses, under strict validation, a template MJML finds invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tpl-bad-'));
    try {
      await writeFile(
        join(dir, 'digest.mjml'),
        '<mjml><mj-body><mj-text bogus-attr="1">x</mj-text></mj-body></mjml>',
      );
      const bad = createRenderer({ site, templatesDir: dir, validationLevel: 'strict' });
      await expect(
        bad.renderDigest({ date: '2026-03-09', posts: [post(1)], window }),
      ).rejects.toMatchObject({
        code: 'TEMPLATE_INVALID',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('neutralises script, event attributes, javascript: and data: from feed data', async () => {
    const { html, text, subject } = await renderer.renderDigest({
      date: '2026-03-09',
      posts: hostile,
      window,
    });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\son\w+\s*=/i); // no event attribute at all
    // No link or image source other than http(s) and placeholders. (The words "javascript:"
    // may still appear as escaped text, where the summary quoted them.)
    for (const v of [...attrs(html, 'href'), ...attrs(html, 'src')]) {
      expect(v).toMatch(/^(https?:\/\/|%%[A-Z_]+%%$)/);
    }
    expect(html).not.toMatch(/<img src=x/i);
    expect(html).not.toMatch(/<b onmouseover/i);
    expect(html).toContain('&lt;script&gt;'); // shown as text, not dropped silently
    // Only the template's own <style> blocks, none from the summary.
    expect(html).not.toContain('<style>body{display:none}');
    // Every link is http(s) or a placeholder; the data:/javascript: posts have no link.
    expect(hrefs(html).some((h) => h.startsWith('https://evil.example/%22onmouseover'))).toBe(true);
    // The attribute-breaking image URL is percent-encoded inside its src.
    expect(attrs(html, 'src')).toContain('https://evil.example/i.png%22%20onerror=%22alert(9)');
    expect(html).not.toMatch(/<(img|a)\b[^>]*\sonerror/i);
    // Feed text cannot make a placeholder: the counts match a benign digest's.
    const benign = await renderer.renderDigest({ date: '2026-03-09', posts: [post(1)], window });
    for (const marker of Object.values(PLACEHOLDERS)) {
      expect(count(html, marker)).toBe(count(benign.html, marker));
      expect(count(text, marker)).toBe(count(benign.text, marker));
    }
    expect(text).not.toMatch(/Read the post: (?!https:\/\/evil)/);
    expect(subject).not.toMatch(/[\r\n]/);
  });

  it('stays under 100 KB and 7-bit with 20 posts of maximum length', async () => {
    const long = (n: number, word: string) => Array.from({ length: n }, () => word).join(' ');
    const posts = Array.from({ length: 20 }, (_, i) =>
      post(i, {
        title: long(MAX_TITLE, 'Ünïcödé'),
        summary: long(MAX_SUMMARY * 3, 'résumé'),
        author: long(20, 'Author'),
        imageUrl: `https://blog.example/images/${i}/${'x'.repeat(150)}.png`,
        imageSize: { width: 1200, height: 630 },
        url: `https://blog.example/${'long-slug-'.repeat(20)}${i}`,
      }),
    );
    const { html, text } = await renderer.renderDigest({ date: '2026-03-09', posts, window });
    const bytes = Buffer.byteLength(html);
    expect(bytes).toBeGreaterThan(20_000); // it did render 20 posts
    expect(bytes).toBeLessThan(100 * 1024);
    expect(count(html, 'Read the post')).toBe(20);
    expect(html).toMatch(/^\p{ASCII}*$/u);
    expect(Math.max(...html.split('\n').map((l) => l.length))).toBeLessThan(998);
    expect(text.length).toBeLessThan(40_000);
  });

  it('makes a readable text part from the same data, without HTML', async () => {
    const posts = [post(1), post(2, { url: 'ftp://files.example/x' })];
    const { text, subject } = await renderer.renderDigest({ date: '2026-03-09', posts, window });
    expect(subject).toBe('Example Blog: Post number 1 and 1 more');
    expect(text).toContain('Post number 1\n');
    expect(text).toContain('Summary of post 1.');
    expect(text).toContain('https://blog.example/posts/1');
    expect(text).toContain('Post number 2\n');
    expect(text).not.toContain('ftp://');
    expect(text).toContain('Monday 9 March 2026');
    expect(text).toContain(`Unsubscribe: ${PLACEHOLDERS.unsubscribeUrl}`);
    expect(text).toContain(`Preferences: ${PLACEHOLDERS.preferencesUrl}`);
    expect(text).toContain('https://blog.example/digests/2026-03-09');
    expect(text).toContain('1 Example Street, 75001 Paris');
    expect(text).not.toMatch(/<\/?[a-z][^>]*>/i);
    expect(text).not.toMatch(/&[a-z]+;|&#/);
  });

  it('a one-post digest has a plain subject', async () => {
    const { subject } = await renderer.renderDigest({
      date: '2026-03-09',
      posts: [post(1)],
      window,
    });
    expect(subject).toBe('Example Blog: Post number 1');
  });

  it('leaves each placeholder in the output, unencoded in href attributes', async () => {
    const { html, text } = await renderer.renderDigest({
      date: '2026-03-09',
      posts: [post(1)],
      window,
    });
    expect(html).toContain(`href="${PLACEHOLDERS.unsubscribeUrl}"`);
    expect(html).toContain(`href="${PLACEHOLDERS.preferencesUrl}"`);
    expect(html).toContain(PLACEHOLDERS.email);
    expect(html).not.toMatch(/%25%25|%%25/);
    for (const marker of Object.values(PLACEHOLDERS)) {
      // One frequency offered (this renderer's default): no "less often" / "more often" links.
      if (marker === PLACEHOLDERS.frequencyUrl) expect(text + html).not.toContain(marker);
      else expect(text).toContain(marker);
    }
    const filled = fillPlaceholders(html, {
      unsubscribeUrl: 'https://blog.example/unsubscribe?token=t1',
      preferencesUrl: 'https://blog.example/preferences?token=t1',
      email: 'reader@example.com',
      delivery: 'weekly, Mondays at 09:00 Asia/Tokyo; topics: Go, Redis',
    });
    expect(filled).not.toContain('%%');
    expect(filled).toContain('href="https://blog.example/unsubscribe?token=t1"');
    expect(filled).toContain('reader@example.com');
    expect(filled).toContain('You get it weekly, Mondays at 09:00 Asia/Tokyo; topics: Go, Redis.');
  });

  it('with several frequencies offered, the footer carries the less often / more often links', async () => {
    const r = createRenderer({ site, frequencyLinks: true });
    const { html, text } = await r.renderDigest({ date: '2026-03-09', posts: [post(1)], window });
    expect(html).toContain(`href="${PLACEHOLDERS.frequencyUrl}&amp;change=less"`);
    expect(html).toContain(`href="${PLACEHOLDERS.frequencyUrl}&amp;change=more"`);
    expect(text).toContain(`Less often: ${PLACEHOLDERS.frequencyUrl}&change=less`);
    expect(text).toContain(`More often: ${PLACEHOLDERS.frequencyUrl}&change=more`);
    const url = 'https://blog.example/frequency?token=t1';
    const filled = fillPlaceholders(html, {
      unsubscribeUrl: 'u',
      preferencesUrl: 'p',
      email: 'e',
      delivery: 'd',
      frequencyUrl: url,
    });
    expect(filled).toContain(`href="${url}&amp;change=less"`);
  });

  it('has lang, a preheader, alt text, presentation tables and the footer duties', async () => {
    const logoSite = { ...site, logoUrl: 'https://blog.example/logo.png' };
    const r = createRenderer({ site: logoSite, measureLogo: measured });
    const posts = [post(1, cover), post(2)];
    const { html } = await r.renderDigest({ date: '2026-03-09', posts, window });
    expect(html).toMatch(/<html[^>]*\slang="en"/);
    expect(html).toMatch(
      /<div class="preheader" style="display:none;[^"]*">Post number 1 &#xb7; Post number 2/,
    );
    const imgs = [...html.matchAll(/<img\b[^>]*>/g)].map((m) => m[0]);
    expect(imgs).toHaveLength(2);
    expect(imgs[0]).toMatch(/alt="Example Blog"/);
    expect(imgs[1]).toMatch(/alt="Post number 1"/);
    const tables = [...html.matchAll(/<table\b[^>]*>/g)].map((m) => m[0]);
    expect(tables.length).toBeGreaterThan(3);
    for (const t of tables) expect(t).toContain('role="presentation"');
    expect(html).toContain('>Unsubscribe</a>');
    expect(html).toContain('1 Example Street, 75001 Paris');
    expect(html).toContain('Example Blog');
    expect(html).toContain('href="https://blog.example/digests/2026-03-09"');
    expect(html).toContain('#0f766e');
  });

  it('formats post dates in the digest time zone', async () => {
    const r = createRenderer({ site, tz: 'Pacific/Auckland' });
    const { text } = await r.renderDigest({
      date: '2026-03-09',
      posts: [post(1, { publishedAt: '2026-03-07T20:00:00Z' })],
      window,
    });
    expect(text).toContain('8 Mar 2026'); // 09:00 on the 8th in Auckland
  });
});

describe('TEMPLATES_DIR', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tpl-'));
    await mkdir(join(dir, 'partials'));
    await writeFile(join(dir, 'digest.subject.hbs'), 'Weekly: {{count}} from {{site.name}}');
    await writeFile(
      join(dir, 'partials', 'footer.mjml'),
      '<mj-section><mj-column><mj-text>Custom footer for {{site.name}} <a href="{{unsubscribeUrl}}">Leave</a></mj-text></mj-column></mj-section>',
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('overrides bundled files of the same name, partials included, and caches them', async () => {
    const r = createRenderer({ site, templatesDir: dir, validationLevel: 'strict' });
    const first = await r.renderDigest({ date: '2026-03-09', posts: [post(1), post(2)], window });
    expect(first.subject).toBe('Weekly: 2 from Example Blog');
    expect(first.html).toContain('Custom footer for Example Blog');
    expect(first.html).toContain(`href="${PLACEHOLDERS.unsubscribeUrl}">Leave</a>`);
    expect(first.html).toContain('Read the post'); // the bundled post partial still applies
    expect(first.html).not.toContain('because you subscribed');
    // Compiled once per renderer: a later edit needs a new renderer (a restart).
    await writeFile(join(dir, 'digest.subject.hbs'), 'Changed');
    const second = await r.renderDigest({ date: '2026-03-09', posts: [post(1)], window });
    expect(second.subject).toBe('Weekly: 1 from Example Blog');
    const fresh = createRenderer({ site, templatesDir: dir });
    expect(
      (await fresh.renderDigest({ date: '2026-03-09', posts: [post(1)], window })).subject,
    ).toBe('Changed');
  });
});

describe('renderConfirm', () => {
  it('has its own subject, the button link, the 48 hours and the ignore note', async () => {
    const confirmUrl = 'https://blog.example/confirm?token=abc_DEF-123';
    const { subject, html, text } = await renderer.renderConfirm({
      confirmUrl,
      email: 'new<b>@example.com',
    });
    expect(subject).toBe('Confirm your subscription to Example Blog');
    expect(hrefs(html)).toContain(confirmUrl);
    expect(html).toContain('expires in 48 hours');
    expect(html).toMatch(/ignore this email: nothing happens/);
    expect(html).toContain('new&lt;b&gt;@example.com');
    expect(html).toMatch(/<html[^>]*\slang="en"/);
    expect(html).not.toContain('%%');
    expect(text).toContain(confirmUrl);
    expect(text).toContain('48 hours');
    expect(text).not.toMatch(/<\/?(a|p|div|table|br|h\d)\b/i);
  });

  it('refuses a confirmation link that is not http(s)', async () => {
    await expect(
      renderer.renderConfirm({ confirmUrl: 'javascript:alert(1)', email: 'a@b.example' }),
    ).rejects.toMatchObject({ code: 'CONFIRM_URL_INVALID' });
  });
});

describe('safeUrl', () => {
  it('keeps http(s), drops everything else, encodes what could break out', () => {
    expect(safeUrl('https://a.example/x?y=1')).toBe('https://a.example/x?y=1');
    expect(safeUrl(' HTTP://A.example ')).toBe('http://a.example/');
    expect(safeUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeUrl('JaVaScRiPt:alert(1)')).toBeUndefined();
    expect(safeUrl('data:text/html,x')).toBeUndefined();
    expect(safeUrl('/relative')).toBeUndefined();
    expect(safeUrl('https://user:pw@a.example/')).toBe('https://a.example/');
    expect(safeUrl('https://a.example/%%EMAIL%%')).toBe('https://a.example/%25%25EMAIL%25%25');
    expect(safeUrl(`https://a.example/${'x'.repeat(1000)}`)).toBeUndefined();
  });
});

describe('email quality', () => {
  it('takes lang and dir from SITE_LANG and lets each post find its own direction', async () => {
    const r = createRenderer({ site: { ...site, lang: 'ar' } });
    const rtl = { title: 'مرحبا بالعالم', summary: 'نص عربي قصير.' };
    const { html } = await r.renderDigest({
      date: '2026-03-09',
      posts: [post(1, rtl), post(2)],
      window,
    });
    expect(html).toMatch(/<html lang="ar" dir="rtl"/);
    expect(count(html, '<div dir="auto">')).toBe(2);
    const confirm = await r.renderConfirm({ confirmUrl: 'https://blog.example/c', email: 'a@b.c' });
    expect(confirm.html).toMatch(/<html lang="ar" dir="rtl"/);
    const { html: en } = await renderer.renderDigest({
      date: '2026-03-09',
      posts: [post(1)],
      window,
    });
    expect(en).toMatch(/<html lang="en" dir="ltr"/);
  });

  it('loads no web font from a third party', async () => {
    const r = createRenderer({ site: { ...site, logoUrl: 'https://blog.example/logo.png' } });
    const { html } = await r.renderDigest({ date: '2026-03-09', posts: [post(1, cover)], window });
    expect(html).not.toMatch(/fonts\.googleapis|@import|<link[^>]+stylesheet/);
  });

  it.each(['#1a73e8', '#0f766e', '#000080', '#ff0000', '#ffff00'])(
    'keeps dark-mode links at WCAG AA (4.5:1) with ACCENT_COLOR %s',
    async (accentColor) => {
      const r = createRenderer({ site: { ...site, accentColor } });
      const { html } = await r.renderDigest({ date: '2026-03-09', posts: [post(1)], window });
      const dark = /@media \(prefers-color-scheme: dark\) \{([\s\S]*?)\n\}/.exec(html)![1]!;
      const backgrounds = [...dark.matchAll(/background-color: (#[0-9a-f]{6})/gi)].map(
        (m) => m[1]!,
      );
      const links = [...dark.matchAll(/([^{}]*\ba\b[^{}]*)\{ color: (#[0-9a-f]{6})/gi)];
      expect(backgrounds.length).toBeGreaterThan(1);
      expect(links.length).toBeGreaterThan(1);
      for (const [, , color] of links)
        for (const bg of backgrounds) expect(contrastRatio(color!, bg)).toBeGreaterThanOrEqual(4.5);
    },
  );
});

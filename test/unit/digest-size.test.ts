import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { digestWindow } from '../../src/digests/digest-window.js';
import { prepareDigest } from '../../src/mail/digest-copy.js';
import { createRenderer, HTML_BUDGET, SHORT_SUMMARY } from '../../src/render/render-digest.js';
import { samplePosts } from '../helpers/mail-samples.js';

/** Gmail clips a message whose HTML passes ~102 KB: every digest stays under 100 KB. */
const site = {
  name: 'Example Weekly',
  publicUrl: 'https://news.example.com',
  lang: 'en',
  postalAddress: '1 Example Street',
  accentColor: '#1a73e8',
  logoUrl: undefined,
};
const renderer = createRenderer({ site });
const window = digestWindow('2026-03-09', { cron: '0 9 * * 1', tz: 'UTC' });
const mailConfig = {
  mail: {
    from: 'Example Weekly <digest@news.example.com>',
    fromAddress: 'digest@news.example.com',
    bounceAddress: 'bounces@news.example.com',
  },
  site,
};

/** The HTML part of one built copy, as a receiver gets it (quoted-printable, values filled). */
async function sentHtmlBytes(content: { subject: string; html: string; text: string }) {
  const raw = prepareDigest(content, mailConfig).build({
    email: 'a-rather-long-address-of-a-reader@subdomain.example.org',
    unsubscribeUrl: `https://news.example.com/unsubscribe?token=${'A'.repeat(40)}`,
    preferencesUrl: `https://news.example.com/preferences?token=${'B'.repeat(40)}`,
    bounceToken: 'C'.repeat(40),
  });
  const text = raw.toString('latin1');
  const start = text.indexOf('Content-Type: text/html');
  const body = text.slice(text.indexOf('\r\n\r\n', start) + 4, text.indexOf('\r\n--=_', start));
  const mail = await simpleParser(raw);
  return { encoded: body.length, html: String(mail.html) };
}

function longPosts(n: number, title?: (i: number) => string) {
  return samplePosts(n, (i) => `Summary ${i}: `.padEnd(1_000, 'a long summary of the post ')).map(
    (p, i) => ({
      ...p,
      title: title ? title(i) : p.title.padEnd(190, ' and more'),
      imageUrl: `https://blog.example.org/images/${i}/cover-image-with-a-long-name.jpg`,
      imageSize: { width: 1200, height: 630 },
    }),
  );
}

describe('digest size (Gmail clipping)', () => {
  it('fits 100 posts with long summaries under 100 KB and still names every post', async () => {
    const posts = longPosts(100);
    const out = await renderer.renderDigest({ date: '2026-03-09', posts, window });
    expect(out.fit).toBeDefined();
    expect(out.fit!.bytesBefore).toBeGreaterThan(HTML_BUDGET);
    expect(out.fit!.bytes).toBeLessThanOrEqual(HTML_BUDGET);
    expect(out.fit!.full).toBeGreaterThan(0);
    expect(out.fit!.full + out.fit!.listed).toBe(100);
    const sent = await sentHtmlBytes(out);
    expect(sent.encoded).toBeLessThan(100 * 1024);
    for (const p of posts) expect(sent.html).toContain(`href="${p.url}"`);
    expect(sent.html).toContain('Also in this digest');
    // summaries of the posts shown in full are cut
    expect(sent.html).not.toContain('a long summary of the post '.repeat(8));
    expect(out.text).toContain('Also in this digest:');
    expect(SHORT_SUMMARY).toBeLessThan(400);
  }, 120_000);

  it('counts the posts it cannot show and links to the archive', async () => {
    // 190 CJK characters a title: each one is a 8-byte entity in the 7-bit HTML
    const posts = longPosts(100, (i) => `${i} ${'日本語のタイトル'.repeat(24)}`);
    const out = await renderer.renderDigest({ date: '2026-03-09', posts, window });
    expect(out.fit!.notShown).toBeGreaterThan(0);
    expect(out.fit!.bytes).toBeLessThanOrEqual(HTML_BUDGET);
    const sent = await sentHtmlBytes(out);
    expect(sent.encoded).toBeLessThan(100 * 1024);
    expect(sent.html).toContain(`And ${out.fit!.notShown} more`);
    expect(sent.html).toContain('href="https://news.example.com/digests"');
  }, 120_000);

  it('leaves a digest that fits as it is', async () => {
    const out = await renderer.renderDigest({ date: '2026-03-09', posts: longPosts(10), window });
    expect(out.fit).toBeUndefined();
    expect(out.html).not.toContain('Also in this digest');
  });
});

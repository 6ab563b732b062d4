import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { digestWindow } from '../../src/digests/digest-window.js';
import type { Post } from '../../src/feeds/post.js';
import { createLogger } from '../../src/log.js';
import { createDigestCopies, prepareDigest } from '../../src/mail/digest-copy.js';
import { createRecipientValues } from '../../src/mail/recipient.js';
import { sampleRecipient } from '../../src/digests/preview.js';
import { createMailTransport } from '../../src/mail/transport.js';
import { createRenderer } from '../../src/render/render-digest.js';
import { createLinks } from '../../src/subscribers/links.js';
import { createTokens } from '../../src/subscribers/tokens.js';

/**
 * Writes one of each message the service sends (digest, confirmation, welcome, test sends) as
 * .eml files into `dir`, through the code that sends them: renderer, digest message, outbox
 * transport (DKIM-signed when `env` has a key). For checks by independent tools (SpamAssassin,
 * dkimpy). Run by hand: `npx tsx test/helpers/mail-samples.ts /tmp/samples`.
 */
export const SAMPLE_ENV = {
  PUBLIC_URL: 'https://news.example.com',
  MAIL_FROM: 'Example Weekly <digest@news.example.com>',
  SITE_NAME: 'Example Weekly',
  POSTAL_ADDRESS: '1 Example Street, 75001 Paris, France',
  SECRET: 'sample-secret-0123456789abcdef0123456789',
  LIST_UNSUBSCRIBE_MAILTO: 'unsubscribe@news.example.com',
  LOGO_URL: 'https://news.example.com/logo.png',
  LOG_LEVEL: 'silent',
};

/** LOGO_URL's size, as the service measures it (a 320 x 80 PNG). */
export const measureLogo = async () => ({ width: 320, height: 80 });

const TOPICS: [string, string][] = [
  [
    'Shipping the new search',
    'How we rebuilt search on a single index and cut query time in half.',
  ],
  [
    'Notes from the reliability review',
    'What went wrong in March, what we changed, and the numbers since.',
  ],
  [
    'A faster build, step by step',
    'Caching, smaller images and fewer steps took the build from twelve minutes to four.',
  ],
  [
    'Designing for slow networks',
    'Pages that load on a train: what we measured and what we removed.',
  ],
];

export function samplePosts(n = TOPICS.length, summary?: (i: number) => string): Post[] {
  return Array.from({ length: n }, (_, i) => {
    const [title, text] = TOPICS[i % TOPICS.length]!;
    return {
      id: `p${i}`,
      feed: 'https://blog.example.org/feed.xml',
      guid: `g${i}`,
      url: `https://blog.example.org/posts/${i + 1}`,
      title: n > TOPICS.length ? `${title} (${i + 1})` : title,
      author: 'Ann Author',
      publishedAt: new Date(Date.UTC(2026, 2, 8, 12, 0) - i * 3600_000).toISOString(),
      summary: summary ? summary(i) : text,
      // every other post with a cover image, measured at ingest
      ...(i % 2 === 0
        ? {
            imageUrl: `https://blog.example.org/images/${i + 1}.jpg`,
            imageSize: { width: 1200, height: 630 },
          }
        : { imageUrl: undefined }),
      firstSeenAt: '2026-03-08T12:00:00Z',
    };
  });
}

export type SampleName = 'digest' | 'confirmation' | 'welcome' | 'test-send' | 'test-send-other';

export async function writeMailSamples(
  dir: string,
  env: Record<string, string> = {},
): Promise<Record<SampleName, string>> {
  const config = loadConfig({ ...SAMPLE_ENV, OUTBOX_DIR: dir, ...env });
  const log = createLogger('silent');
  const tokens = createTokens(config.secret!);
  const links = createLinks({ publicUrl: config.site.publicUrl, tokens });
  const renderer = createRenderer({ site: config.site, tz: config.digest.tz, measureLogo });
  const transport = createMailTransport({
    smtp: { url: undefined, maxConnections: 1 },
    outboxDir: dir,
    dkim: config.mail.dkim,
    log,
  });
  const stored = (r: { response: string }) => join(dir, r.response.replace(/^250 stored as /, ''));
  const date = '2026-03-09';
  const digest = await renderer.renderDigest({
    date,
    posts: samplePosts(),
    window: digestWindow(date, { cron: config.digest.cron, tz: config.digest.tz }),
  });
  const mailConfig = { mail: config.mail, site: config.site, digest: config.digest };
  const valuesFor = createRecipientValues({ ...mailConfig, links, tokens });
  const reader = { id: 1, email: 'reader@example.org' };
  const { recipient, envelopeFrom } = valuesFor(reader);
  const copies = createDigestCopies({ ...mailConfig, links, tokens, transport });
  const confirm = await renderer.renderConfirm({
    confirmUrl: `${config.site.publicUrl}/confirm?token=${tokens.sign('confirm', 2, 3600)}`,
    email: 'new@example.org',
  });
  const test = { ...digest, subject: `[Test] ${digest.subject}` };
  const out = {
    digest: stored(
      await transport.sendRaw(
        { from: envelopeFrom, to: reader.email },
        prepareDigest(digest, mailConfig).build(recipient),
      ),
    ),
    confirmation: stored(
      await transport.sendMail({ from: config.mail.from, to: 'new@example.org', ...confirm }),
    ),
    welcome: stored(await copies.toSubscriber(digest, { id: 2, email: 'new@example.org' })),
    'test-send': stored(await copies.toSubscriber(test, reader)),
    // a test send to an address that is no subscriber (digest-service.ts testSend)
    'test-send-other': stored(
      await copies.withValues(test, sampleRecipient(config.site.publicUrl, 'admin@example.org')),
    ),
  };
  await transport.close();
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const dir = process.argv[2] ?? '/tmp/mail-samples';
  const files = await writeMailSamples(dir);
  for (const [name, file] of Object.entries(files))
    process.stdout.write(`${name}: ${file} (${(await readFile(file)).length} bytes)\n`);
}

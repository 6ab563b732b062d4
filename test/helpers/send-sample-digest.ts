import { loadConfig } from '../../src/config.js';
import { digestWindow } from '../../src/digests/digest-window.js';
import { createLogger } from '../../src/log.js';
import { createDigestCopies } from '../../src/mail/digest-copy.js';
import { createMailTransport } from '../../src/mail/transport.js';
import { createRenderer } from '../../src/render/render-digest.js';
import { createLinks } from '../../src/subscribers/links.js';
import { createTokens } from '../../src/subscribers/tokens.js';
import { measureLogo, SAMPLE_ENV, samplePosts } from './mail-samples.js';

/**
 * Sends the sample digest (mail-samples.ts: same SECRET, From and posts) to one subscriber over
 * SMTP, through the service's own path: renderer, digest copy with that subscriber's VERP
 * sender `bounces+<token>@news.example.com`, SMTP pool. Made for real bounces: send it to an
 * MTA that bounces the address and keep the DSN it writes (test/fixtures/bounces/README.md).
 * Run by hand: `npx tsx test/helpers/send-sample-digest.ts <smtp-url> <id> <email> [posts]`.
 */
export async function sendSampleDigest(smtpUrl: string, id: number, email: string, posts = 4) {
  const config = loadConfig({ ...SAMPLE_ENV, SMTP_URL: smtpUrl });
  const tokens = createTokens(config.secret!);
  const links = createLinks({ publicUrl: config.site.publicUrl, tokens });
  const renderer = createRenderer({ site: config.site, tz: config.digest.tz, measureLogo });
  const transport = createMailTransport({
    smtp: config.smtp,
    outboxDir: config.outboxDir,
    log: createLogger('silent'),
  });
  const date = '2026-03-09';
  const digest = await renderer.renderDigest({
    date,
    posts: samplePosts(posts),
    window: digestWindow(date, { cron: config.digest.cron, tz: config.digest.tz }),
  });
  const copies = createDigestCopies({
    mail: config.mail,
    site: config.site,
    digest: config.digest,
    links,
    tokens,
    transport,
  });
  try {
    return await copies.toSubscriber(digest, { id, email });
  } finally {
    await transport.close();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const [url = 'smtp://127.0.0.1:10025', id = '1', email = 'gone@reader.example', posts = '4'] =
    process.argv.slice(2);
  const reply = await sendSampleDigest(url, Number(id), email, Number(posts));
  process.stdout.write(`${reply.code} ${reply.response}\n`);
}

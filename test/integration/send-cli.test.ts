import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { nextDigestDate } from '../../src/digests/digest-window.js';
import { quietStdout, spawnCli } from '../helpers/cli.js';
import { addReaders, testPipeline, testSink, type Pipeline } from '../helpers/pipeline.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

/** Runs `digest <args>` as a user would, with a pipeline's env; resolves with its output. */
const cli = (env: Record<string, string>, ...args: string[]) => spawnCli(env, args);

// The CLI runs on the real clock: use the next scheduled digest, with posts published now.
const date = () => nextDigestDate(new Date(), { cron: '0 9 * * 1', tz: 'UTC' });

async function seed(p: Pipeline, readers: number) {
  await p.services.posts.addManual(
    { title: 'Fresh post', url: 'https://blog.example.com/fresh', date: new Date() },
    new Date(),
  );
  await addReaders(p, readers);
}

describe('digest send (CLI)', () => {
  it('exits 1 naming the cause when SMTP refuses, and sends nothing', async () => {
    const probe = await startSmtpSink();
    await probe.close();
    const pipeline = await testPipeline(
      'cli-refused',
      { SMTP_URL: probe.url, LOG_LEVEL: 'error' },
      {
        now: () => new Date(),
      },
    );
    await seed(pipeline, 2);
    const r = await cli(pipeline.env, 'send', '--date', date(), '--wait');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ECONNREFUSED 127.0.0.1:${probe.port}`);
    expect(r.stderr).toContain('Nothing was sent.');
    expect(await pipeline.services.digests.getSummary(`weekly/${date()}`)).toBeUndefined();
    // Links on localhost with a local SMTP server: allowed, but said loudly, here too.
    expect(r.stderr).not.toContain('WARNING');
    const local = await cli({ ...pipeline.env, PUBLIC_URL: 'http://localhost:3000' }, 'send');
    expect(local.code).toBe(1);
    expect(local.stderr).toContain(
      'WARNING: PUBLIC_URL is http://localhost:3000: links in mail point at localhost (fine for a local SMTP server only)',
    );
  }, 90_000);

  it('refuses a date with no posts and a date years back, each with exit 1', async () => {
    const pipeline = await testPipeline('cli-refusals', {}, { now: () => new Date() });
    const empty = await cli(pipeline.env, 'send', '--date', date());
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('DIGEST_EMPTY');
    expect(empty.stderr).toContain('nothing to send');
    const old = await cli(pipeline.env, 'send', '--date', '2022-04-11', '--wait');
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/2022-04-11 \(Monday 11 April 2022\) is \d years ago/);
    expect(old.stderr).toContain('--force');
    expect(await pipeline.services.digestService.list()).toEqual([]);
  }, 60_000);

  it('shows the first SMTP error at once, groups failures by code, and --retry-failed recovers', async () => {
    let storm = true;
    const sink = await testSink({
      reply: (rcpt) =>
        storm && rcpt === 'reader1@example.org'
          ? { code: 451, message: '4.3.0 greylisted' }
          : rcpt === 'reader2@example.org'
            ? { code: 550, message: '5.1.1 no such user' }
            : undefined,
    });
    const env = { SMTP_URL: sink.url, SEND_ATTEMPTS: '1', LOG_LEVEL: 'error' };
    const pipeline = await testPipeline('cli-retry', env, { now: () => new Date() });
    await seed(pipeline, 3);
    const d = date();
    const first = await cli(pipeline.env, 'send', '--date', d, '--now', '--yes', '--wait');
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('first transient error: 451 4.3.0 greylisted');
    expect(first.stdout).toContain('first bounce error: 550');
    expect(first.stdout).toMatch(new RegExp(`${d}\\s+sent_with_failures`));

    const runs = JSON.parse((await cli(pipeline.env, 'runs', '--json')).stdout);
    expect(runs[0]).toMatchObject({
      date: d,
      status: 'sent_with_failures',
      failures: [
        { cause: 'temporary', code: 451, count: 1 },
        { cause: 'bounce', code: 550, count: 1 },
      ],
    });

    const again = await cli(pipeline.env, 'send', '--date', d);
    expect(again.stdout).toContain('--retry-failed sends them again');
    storm = false;
    const retry = await cli(pipeline.env, 'send', '--date', d, '--retry-failed', '--wait');
    expect(retry.stdout).toContain('sending again 1 deliveries');
    expect(retry.code).toBe(1); // the bounced one stays failed
    expect(sink.recipients().sort()).toEqual(['reader0@example.org', 'reader1@example.org']);

    const preview = await cli(pipeline.env, 'preview', '--date', d, '--text');
    expect(preview.stderr).toContain('the stored digest, built');
    expect(preview.stdout).toContain('Fresh post');
  }, 240_000);
});

describe('digest test-send (CLI)', () => {
  it('sends one [Test] copy of the variant named by --frequency and --topics', async () => {
    const sink = await testSink();
    const pipeline = await testPipeline(
      'cli-test-send-variant',
      { SMTP_URL: sink.url, DIGEST_FREQUENCIES: 'daily,weekly', LOG_LEVEL: 'error' },
      { now: () => new Date() },
    );
    const s = pipeline.services;
    await s.topics.add({ name: 'Go', categories: ['golang'] });
    for (const [slug, categories] of [
      ['go-post', ['golang']],
      ['other-post', []],
    ] as const)
      await s.posts.upsert(
        {
          url: `https://blog.example.com/${slug}`,
          guid: slug,
          title: slug,
          summary: `About ${slug}.`,
          publishedAt: new Date(),
          categories: [...categories],
        },
        'https://blog.example.com/feed',
        new Date(),
      );
    const r = await cli(
      pipeline.env,
      'test-send',
      'editor@example.org',
      '--frequency',
      'daily',
      '--topics',
      'Go',
    );
    expect(quietStdout(r)).toMatch(
      /^Sent a test copy of the digest of daily\/\d{4}-\d\d-\d\d \(topics: Go\) to editor@example.org/,
    );
    expect(sink.messages).toHaveLength(1);
    const raw = sink.messages[0]!.raw.toString('latin1').replace(/=\r\n/g, '');
    expect(raw).toMatch(/^Subject: \[Test\]/m);
    expect(raw).toContain('https://blog.example.com/go-post');
    expect(raw).not.toContain('https://blog.example.com/other-post');
    // Outside the ledger: no edition was built.
    expect(await s.digestService.list()).toEqual([]);
    const refused = await cli(
      pipeline.env,
      'test-send',
      'editor@example.org',
      '--frequency',
      'monthly',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--frequency "monthly" is not one this site offers');
  }, 120_000);

  /** A received message: its header names, each header's value as sent, its text part. */
  async function read(raw: Buffer) {
    const mail = await simpleParser(raw);
    const lines = mail.headerLines.map((h) => h.line.replace(/\r?\n\s/g, ' '));
    const header = (name: string) =>
      lines
        .find((l) => l.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    return {
      names: mail.headerLines.map((h) => h.key).sort(),
      header,
      text: mail.text ?? '',
      mail,
    };
  }

  it('sends a digest not built yet by the real send path, naming the tester in its footer', async () => {
    const sink = await testSink();
    const env = { SMTP_URL: sink.url, LOG_LEVEL: 'error' };
    const pipeline = await testPipeline('cli-test-send', env, { now: () => new Date() });
    await seed(pipeline, 1);
    const d = date();
    const test = await cli(pipeline.env, 'test-send', 'tester@example.org', '--date', d);
    expect(quietStdout(test)).toContain(
      `Sent a test copy of the digest of ${d} to tester@example.org`,
    );
    // Outside the ledger: nothing built, nobody claimed.
    expect(await pipeline.services.digests.getSummary(`weekly/${d}`)).toBeUndefined();
    expect(sink.recipients()).toEqual(['tester@example.org']);
    const copy = await read(sink.messages[0]!.raw);
    expect(copy.mail.subject).toMatch(/^\[Test\] /);
    expect(copy.text).toContain('Fresh post');
    expect(copy.text).toContain('at tester@example.org because you subscribed');
    expect(copy.text).not.toContain('reader@example.com');
    expect(copy.text).not.toContain('%%');
    expect(copy.header('list-unsubscribe')).toBe(
      '<https://digest.example.com/unsubscribe?token=sample>',
    );

    // The digest itself, sent to the reader: the same headers, built by the same MIME builder.
    const sent = await cli(pipeline.env, 'send', '--date', d, '--now', '--yes', '--wait');
    expect(sent.code).toBe(0);
    expect(sink.recipients().sort()).toEqual(['reader0@example.org', 'tester@example.org']);
    const digest = await read(sink.messages.find((m) => m.to.includes('reader0@example.org'))!.raw);
    expect(digest.text).toContain('at reader0@example.org because you subscribed');
    expect(copy.names).toEqual(digest.names);
    expect(copy.header('list-id')).toBeDefined();
    for (const name of ['list-id', 'list-unsubscribe-post', 'precedence', 'auto-submitted'])
      expect(copy.header(name), name).toBe(digest.header(name));
  }, 240_000);
});

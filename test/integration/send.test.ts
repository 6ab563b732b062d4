import { simpleParser, type AddressObject } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  addReaders,
  DATE,
  EDITION,
  settled,
  testPipeline,
  testSink,
  waitFor,
  type Pipeline,
} from '../helpers/pipeline.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

async function seed(p: Pipeline, subscribers: number, posts = 3) {
  for (let i = 0; i < posts; i++) {
    await p.services.posts.addManual(
      {
        title: `Post number ${i} & friends`,
        url: `https://blog.example.com/posts/${i}`,
        date: new Date(Date.UTC(2026, 10, 24 + i, 12)),
        summary: `Summary of post ${i}.`,
      },
      new Date(),
    );
  }
  return addReaders(p, subscribers);
}

describe('sending a digest', () => {
  it('sends exactly one message to each confirmed subscriber, with every header', async () => {
    const sink = await testSink();
    const pipeline = await testPipeline('send-basic', {
      SMTP_URL: sink.url,
      SEND_BATCH_SIZE: '7',
      LIST_UNSUBSCRIBE_MAILTO: 'unsubscribe@example.com',
    });
    await seed(pipeline, 25);
    await pipeline.services.subscribers.add({ email: 'pending@example.org' }); // not confirmed
    await pipeline.startWorkers();

    const { created } = await pipeline.services.digestService.trigger(DATE);
    expect(created).toBe(true);
    const s = await settled(pipeline);

    expect(s.status).toBe('sent');
    expect(s.counters).toMatchObject({
      recipients: 25,
      sent: 25,
      failed: 0,
      skipped: 0,
      pending: 0,
    });
    const rcpts = sink.recipients().sort();
    expect(rcpts).toHaveLength(25);
    expect(new Set(rcpts).size).toBe(25);
    expect(rcpts).not.toContain('pending@example.org');

    const ids = new Set<string>();
    for (const m of sink.messages) {
      const mail = await simpleParser(m.raw);
      const to = (mail.to as AddressObject).value[0]!.address!;
      expect(m.to).toEqual([to]);
      expect(mail.from?.value[0]?.address).toBe('digest@example.com');
      expect(mail.subject).toContain('Example Digest');
      expect(mail.date).toBeInstanceOf(Date);
      expect(mail.messageId).toMatch(/@example\.com>$/);
      ids.add(mail.messageId!);
      // mailparser folds List-* headers into one object; read the raw lines instead.
      const header = (name: string) =>
        mail.headerLines
          .find((h) => h.key === name)
          ?.line.replace(/^[^:]+:\s*/, '')
          .replace(/\r?\n\s+/g, ' ');
      expect(header('list-id')).toBe('"Example Digest" <example-digest.example.com>');
      const unsub =
        /^<https:\/\/digest\.example\.com\/unsubscribe\?token=([A-Za-z0-9_-]+)>, <mailto:unsubscribe\+([A-Za-z0-9_-]{40})@example\.com\?subject=unsubscribe>$/.exec(
          header('list-unsubscribe') ?? '',
        );
      expect(unsub, header('list-unsubscribe')).toBeTruthy();
      // the mailto carries this recipient's own unsubscribe token
      expect(unsub![2]).toBe(unsub![1]);
      const { tokens } = pipeline.services;
      const id = tokens.verify('unsubscribe', unsub![1]);
      expect(id.ok).toBe(true);
      // VERP: the envelope sender and the Message-ID carry a bounce token for the same subscriber
      const verp = /^bounces\+([A-Za-z0-9_-]{40})@example\.com$/.exec(m.from);
      expect(verp, m.from).toBeTruthy();
      expect(tokens.verify('bounce', verp![1])).toEqual(id);
      expect(mail.messageId).toContain(`.${verp![1]}@example.com>`);
      expect(header('precedence')).toBe('bulk');
      expect(header('auto-submitted')).toBe('auto-generated');
      expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      expect(mail.text).toContain('Post number 0 & friends');
      expect(mail.html).toContain('Post number 0 &amp; friends');
      expect(mail.html).toContain('https://digest.example.com/unsubscribe?token=');
      expect(mail.text).toContain(to);
      expect(mail.html).not.toContain('%%');
    }
    expect(ids.size).toBe(25);

    // Invariant 7: a send job's payload holds ids only.
    const jobs = await pipeline.services.queues.send.getJobs([
      'completed',
      'failed',
      'waiting',
      'delayed',
    ]);
    for (const j of jobs) expect(JSON.stringify(j.data)).not.toContain('@');
  });

  it('sends nothing new when the same date is triggered again', async () => {
    const sink = await testSink();
    const pipeline = await testPipeline('send-again', { SMTP_URL: sink.url });
    await seed(pipeline, 5);
    await pipeline.startWorkers();
    await pipeline.services.digestService.trigger(DATE);
    await settled(pipeline);
    expect(sink.messages).toHaveLength(5);

    const again = await pipeline.services.digestService.trigger(DATE);
    expect(again.created).toBe(false);
    // A build job for the same date reuses the digest: wait for it to run, then count again.
    await waitFor(
      async () =>
        (await pipeline.services.queues.build.getJobCounts('waiting', 'active', 'delayed'))
          .waiting === 0,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages).toHaveLength(5);
    expect((await pipeline.services.digestService.summary(DATE))!.counters.sent).toBe(5);
  });

  it('sends nothing to a subscriber who unsubscribed after fan-out', async () => {
    const sink = await testSink();
    const pipeline = await testPipeline('send-unsub', { SMTP_URL: sink.url });
    const ids = await seed(pipeline, 6);
    const workers = await pipeline.startWorkers();
    await workers.workers.send.pause();
    await pipeline.services.digestService.trigger(DATE);
    await waitFor(
      async () => (await pipeline.services.digestService.summary(DATE))?.counters.recipients === 6,
    );
    await pipeline.services.subscribers.setStatus(ids[2]!, 'unsubscribed');
    await workers.workers.send.resume();

    const s = await settled(pipeline);
    expect(s.counters).toMatchObject({ recipients: 6, sent: 5, skipped: 1 });
    expect(sink.recipients()).not.toContain('reader2@example.org');
    expect(sink.recipients()).toHaveLength(5);
  });

  it('retries 451 replies and delivers each recipient once', async () => {
    const sink = await testSink({
      reply: (rcpt, attempt) =>
        /reader[13]@/.test(rcpt) && attempt <= 2
          ? { code: 451, message: '4.3.0 try again later' }
          : undefined,
    });
    const pipeline = await testPipeline('send-451', { SMTP_URL: sink.url });
    await seed(pipeline, 5);
    await pipeline.startWorkers();
    await pipeline.services.digestService.trigger(DATE);
    const s = await settled(pipeline);
    expect(s.status).toBe('sent');
    const rcpts = sink.recipients().sort();
    expect(rcpts).toEqual([0, 1, 2, 3, 4].map((i) => `reader${i}@example.org`).sort());
    expect(sink.attempts.get('reader1@example.org')).toBe(3);
  });

  it('marks a 550 5.1.1 recipient bounced and delivers the others', async () => {
    const sink = await testSink({
      reply: (rcpt) =>
        rcpt === 'reader3@example.org'
          ? { code: 550, message: '5.1.1 no such mailbox' }
          : undefined,
    });
    const pipeline = await testPipeline('send-550', { SMTP_URL: sink.url });
    const ids = await seed(pipeline, 5);
    await pipeline.startWorkers();
    await pipeline.services.digestService.trigger(DATE);
    const s = await settled(pipeline);
    expect(s.status).toBe('sent_with_failures');
    expect(s.counters).toMatchObject({ sent: 4, failed: 1 });
    expect(sink.recipients()).toHaveLength(4);
    expect((await pipeline.services.subscribers.get(ids[3]!))!.status).toBe('bounced');
    expect(await pipeline.services.ledger.state(EDITION, ids[3]!)).toMatch(/^f:550:/);
  });

  it('delivers once the SMTP server comes back after going down mid-send', async () => {
    // The server passes the preflight, then goes away before the sends: connections refused.
    const probe = await startSmtpSink();
    const port = probe.port;
    const pipeline = await testPipeline('send-down', { SMTP_URL: `smtp://127.0.0.1:${port}` });
    await seed(pipeline, 4);
    const workers = await pipeline.startWorkers();
    await workers.workers.send.pause();
    await pipeline.services.digestService.trigger(DATE);
    await waitFor(
      async () => (await pipeline.services.digestService.summary(DATE))?.counters.recipients === 4,
    );
    await probe.close();
    await workers.workers.send.resume();
    await waitFor(
      async () => ((await pipeline.services.queues.send.getJobCounts('delayed')).delayed ?? 0) > 0,
      10_000,
      'a retry',
    );
    expect((await pipeline.services.digestService.summary(DATE))!.counters.sent).toBe(0);

    const sink = await testSink({ port });
    const s = await settled(pipeline);
    expect(s.counters.sent).toBe(4);
    expect(sink.recipients().sort()).toEqual([0, 1, 2, 3].map((i) => `reader${i}@example.org`));
  });

  it('renders the digest once, however many recipients', async () => {
    const sink = await testSink();
    const pipeline = await testPipeline('send-once', { SMTP_URL: sink.url, SEND_BATCH_SIZE: '3' });
    await seed(pipeline, 10);
    let renders = 0;
    const render = pipeline.services.renderer.renderDigest.bind(pipeline.services.renderer);
    pipeline.services.renderer.renderDigest = (input) => {
      renders++;
      return render(input);
    };
    await pipeline.startWorkers();
    await pipeline.services.digestService.trigger(DATE);
    await settled(pipeline);
    expect(sink.messages).toHaveLength(10);
    expect(renders).toBe(1);
    // The edition counts its renders too: one variant, everyone shares it.
    expect((await pipeline.services.digests.getSummary(EDITION))!.renders).toBe(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, waitFor, type Pipeline } from '../helpers/pipeline.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { workerGroup } from '../helpers/worker-process.js';

/**
 * Local time, end to end (README "The schedule"): with no new setting, subscribers in Tokyo,
 * Berlin and Los Angeles get the weekly edition at 09:00 their time, each once. Worker
 * processes run on the real Redis with their clocks set (test/helpers/shifted-clock.ts) just
 * before each zone's instant; each is SIGKILLed once its zone is delivered, so the later zones
 * are sent by a fresh worker after a kill between zones. One Los Angeles subscriber
 * unsubscribes after the edition was built (at Tokyo's instant) and gets nothing.
 */

const DATE = '2026-12-07';
const TOKYO = Date.parse('2026-12-07T00:00:00Z'); // 09:00 +09:00
const BERLIN = Date.parse('2026-12-07T08:00:00Z'); // 09:00 +01:00
const LA = Date.parse('2026-12-07T17:00:00Z'); // 09:00 -08:00
const LEAD_MS = 30_000;

let p: Pipeline;
let sink: SmtpSink;
const workers = workerGroup();
/** A worker process on the pipeline whose clock reads `at` now. */
const workerAt = (at: number) => workers.at(p.env, at);

/** The messages to `email`, with the Date header each was written with (the worker's clock). */
function received(email: string) {
  return sink.messages
    .filter((m) => m.to.includes(email))
    .map((m) => Date.parse(/^Date: (.+)$/m.exec(m.raw.toString())![1]!));
}

async function zones() {
  return p.services.zones.read({ frequency: 'weekly', date: DATE });
}

beforeAll(async () => {
  sink = await startSmtpSink();
  // No setting beyond what a site without frequencies has: DIGEST_CRON and DIGEST_TZ.
  p = await startPipeline('local-time', { SMTP_URL: sink.url });
  await p.services.posts.addManual(
    {
      title: 'This week',
      url: 'https://blog.example.com/w',
      date: new Date('2026-12-03T10:00:00Z'),
    },
    new Date('2026-12-03T10:00:00Z'),
  );
  for (const [email, tz] of [
    ['tokyo@example.org', 'Asia/Tokyo'],
    ['berlin@example.org', 'Europe/Berlin'],
    ['la@example.org', 'America/Los_Angeles'],
    ['leaver@example.org', 'America/Los_Angeles'],
  ] as const) {
    await p.services.subscribers.add({ email, tz, status: 'confirmed' });
  }
});

afterAll(async () => {
  await workers.killAll();
  await p.stop();
  await sink.close();
});

describe('local time', () => {
  it('Tokyo, Berlin and Los Angeles each get the edition once at 09:00 local, across kills', async () => {
    // Tokyo: the first zone. Its slot builds the edition and sends Tokyo only.
    const w1 = await workerAt(TOKYO - LEAD_MS);
    await waitFor(async () => received('tokyo@example.org').length > 0, 120_000, 'Tokyo');
    const built = await p.services.digestService.summary(DATE);
    expect(Date.parse(built!.builtAt!)).toBeGreaterThanOrEqual(TOKYO);
    expect(received('berlin@example.org')).toEqual([]);
    expect(received('la@example.org')).toEqual([]);
    await waitFor(
      async () => (await zones()).find((z) => z.zone === 'Asia/Tokyo')?.sent === 1,
      60_000,
      'Tokyo counted',
    );
    expect((await zones()).map((z) => [z.zone, z.at, z.subscribers, z.state])).toEqual([
      ['Asia/Tokyo', new Date(TOKYO).toISOString(), 1, 'done'],
      ['Europe/Berlin', new Date(BERLIN).toISOString(), 1, 'pending'],
      ['UTC', '2026-12-07T09:00:00.000Z', 0, 'pending'],
      ['America/Los_Angeles', new Date(LA).toISOString(), 2, 'pending'],
    ]);
    // Killed between zones; and after the build, before Los Angeles' send, one unsubscribes.
    await w1.kill();
    const leaver = (await p.services.subscribers.getByEmail('leaver@example.org'))!;
    await p.services.subscribers.setStatus(leaver.id, 'unsubscribed');

    const w2 = await workerAt(BERLIN - LEAD_MS);
    await waitFor(async () => received('berlin@example.org').length > 0, 120_000, 'Berlin');
    await waitFor(
      async () => (await zones()).find((z) => z.zone === 'Europe/Berlin')?.sent === 1,
      60_000,
      'Berlin counted',
    );
    await w2.kill();

    // Los Angeles, 17 hours after Tokyo: UTC's slot (nobody there) was missed by 8 hours and is
    // caught up at start; Los Angeles' own fires on time.
    const w3 = await workerAt(LA - LEAD_MS);
    const done = await waitFor(
      async () => {
        const s = await p.services.digestService.summary(DATE);
        return s?.status === 'sent' ? s : undefined;
      },
      120_000,
      'the edition to be sent everywhere',
    );
    // Zone counters follow the batch's ledger writes (README "The schedule"): the edition reads
    // sent a moment before its last zone is counted, so the worker stays until it is.
    await waitFor(
      async () => (await zones()).find((z) => z.zone === 'America/Los_Angeles')?.sent === 1,
      60_000,
      'Los Angeles counted',
    );
    await w3.kill();

    for (const [email, at, tz] of [
      ['tokyo@example.org', TOKYO, 'Asia/Tokyo'],
      ['berlin@example.org', BERLIN, 'Europe/Berlin'],
      ['la@example.org', LA, 'America/Los_Angeles'],
    ] as const) {
      const dates = received(email);
      expect(dates, email).toHaveLength(1);
      // Written at 09:00 in its zone (the Date header has whole seconds): not before, and
      // within the hour the worker's start may take.
      expect(dates[0]! + 999, email).toBeGreaterThanOrEqual(at);
      expect(dates[0]!, email).toBeLessThan(at + 3_600_000);
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit' });
      expect(local.format(dates[0]), email).toBe('09');
    }
    expect(received('leaver@example.org')).toEqual([]);
    // The leaver left Los Angeles' group when they unsubscribed: not even fanned out to.
    expect(done.counters).toMatchObject({ recipients: 3, sent: 3, skipped: 0, failed: 0 });
    // Built once, at Tokyo's instant: later zones took the same stored edition.
    expect(done.builtAt).toBe(built!.builtAt);
    const final = await zones();
    expect(final.map((z) => [z.zone, z.state, z.recipients, z.sent, z.skipped])).toEqual([
      ['Asia/Tokyo', 'done', 1, 1, 0],
      ['Europe/Berlin', 'done', 1, 1, 0],
      ['UTC', 'done', 0, 0, 0],
      ['America/Los_Angeles', 'done', 1, 1, 0],
    ]);
    const ledger = await p.ctx.redis.hgetall(p.ctx.keys.ledger(`weekly/${DATE}`));
    expect(Object.keys(ledger)).toHaveLength(3);
  }, 600_000);
});

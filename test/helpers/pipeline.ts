import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { SETTLED_STATUSES } from '../../src/digests/digest.js';
import { createRedis } from '../../src/redis.js';
import { createServices } from '../../src/services.js';
import { startWorkers } from '../../workers/start-workers.js';
import { deletePrefix, TEST_REDIS_CLUSTER, TEST_REDIS_URL } from './redis.js';
import { startSmtpSink } from './smtp-sink.js';

/** The digest service's default clock in the pipeline: a day before the suite's 2026-11-30. */
export const PIPELINE_NOW = '2026-11-29T12:00:00Z';

/** The suite's digest date, a Monday: the weekly window is 2026-11-23 09:00 .. 2026-11-30 09:00 UTC. */
export const DATE = '2026-11-30';
/** The edition DATE names: the default frequency's (weekly). */
export const EDITION = `weekly/${DATE}`;

/**
 * The whole service (stores, queues, workers) on the test Redis under a fresh prefix, as a
 * user would run it: only the environment differs. Returns the env too, so a child process can
 * run a worker against the same prefix.
 */
export async function startPipeline(
  name: string,
  env: Record<string, string> = {},
  opts: { now?: () => Date } = {},
) {
  const prefix = `{t-${name}-${randomBytes(4).toString('hex')}}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), `digest-${name}-`));
  const fullEnv: Record<string, string> = {
    REDIS_URL: TEST_REDIS_URL,
    // Said explicitly either way: worker processes spawned with this env also inherit the test
    // run's REDIS_CLUSTER, which is wrong for a test that points REDIS_URL at its own single
    // redis-server.
    REDIS_CLUSTER: TEST_REDIS_CLUSTER && !env.REDIS_URL ? 'true' : 'false',
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    SECRET: 'test-secret-test-secret-test-secret-0123',
    PUBLIC_URL: 'https://digest.example.com',
    MAIL_FROM: 'Example Digest <digest@example.com>',
    SITE_NAME: 'Example Digest',
    POSTAL_ADDRESS: '1 Example Street, Example City',
    DIGEST_CRON: '0 9 * * 1',
    DIGEST_TZ: 'UTC',
    LOG_LEVEL: 'silent',
    SEND_RETRY_DELAY_MS: '200',
    ...env,
  };
  const config = loadConfig(fullEnv);
  const ctx = await createContext(config, { checkRedis: false });
  // The digest service's clock: the suite's digests (2026-11-30) stay within the week that
  // `send` takes without --force, however late the suite runs.
  const services = createServices(ctx, { now: opts.now ?? (() => new Date(PIPELINE_NOW)) });
  let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
  return {
    prefix,
    env: fullEnv,
    config,
    ctx,
    services,
    async startWorkers() {
      workers = await startWorkers(services, { schedules: false });
      return workers;
    },
    async stop() {
      await workers?.close();
      await services.close();
      // On the pipeline's own Redis (a test may have pointed REDIS_URL elsewhere).
      const cleaner = createRedis(config.redis);
      await deletePrefix(cleaner, prefix);
      cleaner.disconnect();
      await ctx.close();
    },
  };
}

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** startPipeline inside a test: stopped when the test finishes (before what it started first). */
export async function testPipeline(...args: Parameters<typeof startPipeline>): Promise<Pipeline> {
  const p = await startPipeline(...args);
  onTestFinished(() => p.stop());
  return p;
}

/** startSmtpSink inside a test: closed when the test finishes (after what it started later). */
export async function testSink(...args: Parameters<typeof startSmtpSink>) {
  const sink = await startSmtpSink(...args);
  onTestFinished(() => sink.close());
  return sink;
}

/** `n` confirmed subscribers, reader0@example.org, reader1@…; their ids. */
export async function addReaders(p: Pipeline, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const { subscriber } = await p.services.subscribers.add({
      email: `reader${i}@example.org`,
      status: 'confirmed',
    });
    ids.push(subscriber.id);
  }
  return ids;
}

/** A digest's summary as the digest service answers it. */
export type DigestSummary = NonNullable<
  Awaited<ReturnType<Pipeline['services']['digestService']['summary']>>
>;

/**
 * Waits until the summary of the digest of `date` (DATE unless said) passes `ready`, polling;
 * that summary. `tolerant`: a read that throws (Redis restarting under the test) is a "not yet".
 */
export async function digestWhen(
  p: Pipeline,
  ready: (d: DigestSummary) => boolean | Promise<boolean>,
  opts: { date?: string; timeoutMs?: number; what?: string; tolerant?: boolean } = {},
): Promise<DigestSummary> {
  const date = opts.date ?? DATE;
  const read = () => p.services.digestService.summary(date);
  return waitFor(
    async () => {
      const d = opts.tolerant ? await read().catch(() => undefined) : await read();
      return d && (await ready(d)) ? d : undefined;
    },
    opts.timeoutMs,
    opts.what ?? `digest ${date}`,
  );
}

/** For digestWhen: the digest has one of `statuses`. */
export const statusIn =
  (...statuses: string[]) =>
  (d: DigestSummary) =>
    statuses.includes(d.status);

/** Waits until the digest of DATE went out (`sent` or `sent_with_failures`); its summary. */
export async function delivered(
  p: Pipeline,
  opts: { timeoutMs: number; what: string; tolerant?: boolean },
) {
  return digestWhen(p, statusIn('sent', 'sent_with_failures'), opts);
}

/** Waits until the digest of `date` has settled (SETTLED_STATUSES); its summary. */
export async function settled(p: Pipeline, date = DATE, timeoutMs = 60_000) {
  return digestWhen(p, statusIn(...SETTLED_STATUSES), {
    date,
    timeoutMs,
    what: `digest ${date} to settle`,
  });
}

/**
 * The post the sending suites share (published 2026-11-25 10:00 UTC, in DATE's weekly window)
 * and `n` confirmed subscribers `<tag>0@example.org`, `<tag>1@…`; what addMany answered.
 */
export async function seedPostAndReaders(p: Pipeline, n: number, tag: string) {
  await p.services.posts.addManual(
    { title: 'A post', url: 'https://blog.example.com/a', date: new Date('2026-11-25T10:00:00Z') },
    new Date(),
  );
  return p.services.subscribers.addMany(
    Array.from({ length: n }, (_, i) => ({
      email: `${tag}${i}@example.org`,
      status: 'confirmed' as const,
    })),
  );
}

/** Waits until `check` returns a truthy value, polling; fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

import { pino, type Logger } from 'pino';
import type { BuildJobDeps } from '../../src/digests/build-job.js';
import type { Frequency } from '../../src/digests/frequency.js';
import { SmtpPreflightError } from '../../src/mail/preflight.js';

/**
 * The build job's dependencies (README "Architecture": build) as plain-object fakes, for a
 * site whose SMTP preflight fails with "Greeting never received": one stored post, published
 * (and first seen) at `postAt`, no zone groups, the clock at `now`. `digests` is the test's own
 * fake of the digest store; whatever would store content, plan zones or queue sends is pushed
 * onto `calls`, which a preflight that fails leaves empty.
 */
export function preflightFailingBuildDeps(opts: {
  digests: Record<string, unknown>;
  postAt: string;
  now: string;
  frequencies: Frequency[];
  defaultFrequency: Frequency;
  log?: Logger;
  calls: string[];
}): BuildJobDeps {
  const { calls } = opts;
  return {
    digests: opts.digests,
    posts: {
      listPublishedBetween: async () => [
        {
          id: 'p1',
          feed: 'manual',
          guid: undefined,
          url: 'https://blog.example/p1',
          title: 'P1',
          author: undefined,
          publishedAt: opts.postAt,
          summary: '',
          imageUrl: undefined,
          firstSeenAt: opts.postAt,
        },
      ],
      listArrivedBetween: async () => [],
      currentSeq: async () => 1,
    },
    sendQueue: { addBulk: async () => void calls.push('addBulk') },
    groups: { counts: async () => new Map(), page: async () => [] },
    zones: {
      plan: async () => void calls.push('plan'),
      mark: async () => {},
      allSettled: async () => true,
    },
    schedule: {
      frequencies: opts.frequencies,
      defaultFrequency: opts.defaultFrequency,
      crons: { daily: '0 9 * * *', weekly: '0 9 * * 1', monthly: '0 9 1 * *' },
      tz: 'UTC',
      localTime: true,
    },
    maxPosts: 20,
    batchSize: 100,
    log: opts.log ?? pino({ level: 'silent' }),
    now: () => new Date(opts.now),
    preflight: async () => {
      throw new SmtpPreflightError('Greeting never received');
    },
    holdDelayMs: 30_000,
    retry: { failures: {} },
  } as unknown as BuildJobDeps;
}

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/digests/build-digest.js';
import { HTML_BUDGET, SHORT_SUMMARY } from '../../src/render/render-digest.js';
import { qpEncodeText } from '../../src/mail/quoted-printable.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

/**
 * README guarantee 12 through the build path: 100 posts with long summaries, stored by ingest's
 * post store, built with DIGEST_MAX_POSTS=100: the stored HTML fits Gmail, and the build log says
 * what was cut.
 */
const DATE = '2026-03-09';
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline('build-size', { DIGEST_MAX_POSTS: '100' });
  const seen = new Date('2026-03-08T12:00:00Z');
  for (let i = 0; i < 100; i++) {
    await p.services.posts.upsert(
      {
        guid: `size-${i}`,
        url: `https://blog.example.org/posts/a-post-with-a-rather-long-slug-${i}`,
        title: `A post about something worth reading, number ${i} of a hundred`,
        summary: `Summary ${i}: `.padEnd(300, 'a long summary of the post '),
        imageUrl: `https://blog.example.org/images/${i}/cover.jpg`,
        publishedAt: new Date(Date.UTC(2026, 2, 8, 12, 0) - i * 60_000),
        blog: 'Example Blog',
      },
      'https://blog.example.org/feed.xml',
      seen,
    );
  }
});
afterAll(() => p.stop());

describe('a digest too large for Gmail, built', () => {
  it('is stored under the budget, and the build log says what was cut', async () => {
    const lines: { level: number; msg: string; bytesBefore?: number; bytes?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const result = await buildDigest(
      {
        digests: p.services.digests,
        posts: p.services.posts,
        variants: p.services.variants,
        schedules: p.services.config.digest,
        maxPosts: 100,
        log,
        now: () => new Date('2026-03-09T09:00:01Z'),
      },
      DATE,
    );
    expect(result.status).toBe('built');
    const stored = await p.services.digests.get(`weekly/${DATE}`);
    expect(stored?.postIds).toHaveLength(100);
    expect(qpEncodeText(stored!.html).length).toBeLessThanOrEqual(HTML_BUDGET);
    const warning = lines.find((l) => l.msg.startsWith('digest HTML was '));
    expect(warning, JSON.stringify(lines.map((l) => l.msg))).toBeDefined();
    expect(warning!.level).toBe(40);
    expect(warning!.bytesBefore).toBeGreaterThan(HTML_BUDGET);
    expect(warning!.bytes).toBeLessThanOrEqual(HTML_BUDGET);
    expect(warning!.msg).toMatch(
      new RegExp(
        `^digest HTML was \\d+ bytes, over Gmail's clipping size: summaries cut to ${SHORT_SUMMARY} characters, \\d+ posts in full, \\d+ by title, \\d+ not shown`,
      ),
    );
  }, 180_000);
});

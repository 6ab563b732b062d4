import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { registerPreviewCommand } from '../../src/cli/preview.js';
import { previewDigest } from '../../src/digests/preview.js';
import type { Post } from '../../src/feeds/post.js';
import { createPostStore } from '../../src/feeds/post-store.js';
import { createRenderer } from '../../src/render/render-digest.js';
import { openTestServices } from '../helpers/cli.js';
import { testRedis } from '../helpers/redis.js';

// Weekly on Monday 09:00 UTC: the digest of 2026-03-09 covers 2026-03-02T09:00 .. 2026-03-09T09:00.
const DATE = '2026-03-09';
const t = testRedis('preview');
const config = loadConfig({
  REDIS_PREFIX: t.prefix,
  PUBLIC_URL: 'https://blog.example',
  SITE_NAME: 'Example Blog',
  POSTAL_ADDRESS: '1 Example Street',
});
const postStore = createPostStore({ redis: t.redis, keys: t.keys });
const renderer = createRenderer({
  site: config.site,
  tz: config.digest.tz,
  validationLevel: 'strict',
});
const deps = { postStore, renderer, config };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'preview-'));
  const seen = new Date('2026-03-08T00:00:00Z');
  await postStore.addManual(
    {
      title: 'Older in window',
      url: 'https://blog.example/a',
      date: new Date('2026-03-03T10:00:00Z'),
      summary: 'First.',
    },
    seen,
  );
  await postStore.addManual(
    {
      title: 'Newest in window',
      url: 'https://blog.example/b',
      date: new Date('2026-03-08T10:00:00Z'),
      summary: 'Second.',
    },
    seen,
  );
  await postStore.addManual(
    {
      title: 'After the send time',
      url: 'https://blog.example/c',
      date: new Date('2026-03-09T09:00:00Z'),
    },
    seen,
  );
  const used = await postStore.addManual(
    {
      title: 'Carried last week',
      url: 'https://blog.example/d',
      date: new Date('2026-03-04T10:00:00Z'),
    },
    seen,
  );
  // An earlier version's mark on a post it sent: it never goes out again.
  await t.redis.hset(t.keys.post(used.id), 'digest', '2026-03-02');
  // Published before the window, first stored on 2026-03-05: after last week's build.
  await postStore.addManual(
    {
      title: 'Late arrival',
      url: 'https://blog.example/e',
      date: new Date('2026-02-27T10:00:00Z'),
    },
    new Date('2026-03-05T00:00:00Z'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.cleanup();
});

describe('previewDigest', () => {
  it('chooses the posts of the window from the real post store and fills sample values', async () => {
    const p = await previewDigest(deps, DATE);
    expect(p.empty).toBe(false);
    // 'After the send time' is published at the window's end but arrived before any build: the
    // first edition of its frequency, built now, carries it (the next one starts after its seqTo).
    expect(p.posts.map((x) => x.title)).toEqual([
      'After the send time',
      'Newest in window',
      'Older in window',
    ]);
    expect(p.subject).toBe('Example Blog: After the send time and 2 more');
    expect(p.html).toContain('Newest in window');
    expect(p.html).toContain('href="https://blog.example/unsubscribe?token=sample"');
    expect(p.html).toContain('reader@example.com');
    expect(p.html).not.toContain('%%');
    expect(p.text).toContain('Unsubscribe: https://blog.example/unsubscribe?token=sample');
    expect(p.text).toContain('Preferences: https://blog.example/preferences?token=sample');
    expect(p.window.windowStart.toISOString()).toBe('2026-03-02T09:00:00.000Z');
  });

  it('adds late arrivals when the previous digest was built before they came', async () => {
    const p = await previewDigest(
      { ...deps, previousBuilt: async () => ({ builtAt: new Date('2026-03-02T09:01:00Z') }) },
      DATE,
    );
    expect(p.posts.map((x) => x.title)).toEqual([
      'After the send time',
      'Newest in window',
      'Older in window',
      'Late arrival',
    ]);
  });

  it('reports an empty digest without rendering it', async () => {
    const renderDigest = vi.fn();
    // A window after every stored post (an earlier one, built now, would carry them all).
    const p = await previewDigest({ ...deps, renderer: { renderDigest } }, '2026-03-23');
    expect(p).toMatchObject({ empty: true, posts: [], html: '', text: '', subject: '' });
    expect(renderDigest).not.toHaveBeenCalled();
  });

  it('asks a fake store for the posts published from sendAt - 14 days on, and honours maxPosts', async () => {
    const calls: [number, number][] = [];
    const mk = (i: number): Post => ({
      id: `p${i}`,
      feed: 'f',
      guid: undefined,
      url: `https://x.example/${i}`,
      title: `P${i}`,
      author: undefined,
      publishedAt: new Date(Date.UTC(2026, 2, 3, i)).toISOString(),
      summary: '',
      imageUrl: undefined,
      firstSeenAt: '2026-03-03T00:00:00Z',
    });
    const fake = {
      async listPublishedBetween(start: number, end: number) {
        calls.push([start, end]);
        return [mk(1), mk(2), mk(3)];
      },
      // The first edition of its frequency reads its window, not an arrival range.
      listArrivedBetween: () => Promise.reject(new Error('not in window mode')),
      currentSeq: async () => 0,
    };
    const p = await previewDigest(
      {
        postStore: fake,
        renderer,
        config: { ...config, digest: { ...config.digest, maxPosts: 2 } },
      },
      DATE,
    );
    expect(calls).toEqual([
      // No upper bound: the edition's seqTo ends its set (select-posts.ts, window mode).
      [Date.parse('2026-02-23T09:00:00Z'), Number.MAX_SAFE_INTEGER],
    ]);
    expect(p.posts.map((x) => x.id)).toEqual(['p3', 'p2']);
  });
});

describe('digest preview (CLI)', () => {
  const openCli = openTestServices(t.prefix, {
    PUBLIC_URL: 'https://blog.example',
    SITE_NAME: 'Example Blog',
    POSTAL_ADDRESS: '1 Example Street',
  });
  const run = (...args: string[]) => {
    const program = new Command().exitOverride();
    registerPreviewCommand(program, openCli);
    return program.parseAsync(['node', 'digest', 'preview', ...args]);
  };
  afterEach(() => vi.restoreAllMocks());

  it('writes the HTML to --out, or the text part to stdout', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = join(dir, 'x.html');
    await run('--date', DATE, '--out', out);
    const html = await readFile(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('Older in window');
    expect(String(err.mock.calls[0]?.[0])).toContain(`Digest of ${DATE}: 3 posts`);

    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await run('--date', DATE, '--text');
    const text = stdout.mock.calls.map((c) => String(c[0])).join('');
    expect(text).toContain('Newest in window\n');
    expect(text).not.toContain('<');
  });

  it('says what an empty digest looked at and which date to try, and exits 1 for --out', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = join(dir, 'empty.html');
    await run('--date', '2026-03-23', '--out', out);
    const said = err.mock.calls.map((c) => String(c[0])).join('');
    // The newest stored post (2026-03-09 09:00) goes out in the digest of 2026-03-16.
    expect(said).toBe(
      'No posts for the digest of 2026-03-23: no post was published between ' +
        'Mon 16 Mar 2026, 09:00 and Mon 23 Mar 2026, 09:00 (UTC); the newest stored post is from ' +
        '9 Mar 2026 — try `--date 2026-03-16` or `--latest`.\n' +
        `Nothing was written to ${out}.\n`,
    );
    expect(existsSync(out)).toBe(false);
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
  });

  it('--latest previews the digest that carries the newest stored post', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = join(dir, 'latest.html');
    await run('--latest', '--out', out);
    expect(String(err.mock.calls[0]?.[0])).toContain('Digest of 2026-03-16: 1 post, ');
    expect(await readFile(out, 'utf8')).toContain('After the send time');
    expect(process.exitCode).toBeUndefined();
  });

  it('refuses a date that is not a date', async () => {
    await expect(run('--date', '2026-02-31')).rejects.toMatchObject({
      code: 'DIGEST_DATE_INVALID',
    });
  });
});

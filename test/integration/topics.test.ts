import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeedStore } from '../../src/feeds/feed-store.js';
import type { RedisClient } from '../../src/redis.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { inTopics } from '../../src/topics/topic.js';
import { createTopicStore } from '../../src/topics/topic-store.js';
import { runCli } from '../helpers/cli.js';
import { testRedis } from '../helpers/redis.js';

const t = testRedis('topics');
const feeds = createFeedStore({ redis: t.redis, keys: t.keys });
const subscribers = createSubscriberStore({ redis: t.redis, keys: t.keys });
const topics = createTopicStore({ redis: t.redis, keys: t.keys });
const dir = mkdtempSync(path.join(tmpdir(), 'topics-'));
const feedFile = path.join(dir, 'feed.xml');

beforeAll(async () => {
  copyFileSync(path.resolve('test/fixtures/feeds/rss2.xml'), feedFile);
  await feeds.add('https://go.example/feed.xml');
  await feeds.add(feedFile);
});
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** The topic names a subscriber has chosen, as the store reads them back. */
const chosen = async (id: number) => (await subscribers.get(id))!.topics;

describe('the topic store', () => {
  it('keeps feeds as the feed store does and categories as given, once each', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const go = await topics.add({
        name: ' Go ',
        feeds: ['https://go.example/feed.xml#top', './feed.xml', feedFile],
        categories: ['golang', ' Go  Lang ', 'GOLANG'],
      });
      expect(go).toEqual({
        name: 'Go',
        feeds: ['https://go.example/feed.xml', feedFile],
        categories: ['golang', 'Go Lang'],
      });
    } finally {
      process.chdir(cwd);
    }
    await topics.add({ name: 'redis', categories: ['Redis'] });
    expect((await topics.list()).map((x) => x.name)).toEqual(['Go', 'redis']);
    expect(await topics.get('GO')).toMatchObject({ name: 'Go' });
    expect((await topics.getMany(['redis', 'gone', 'go'])).map((x) => x.name)).toEqual([
      'redis',
      'Go',
    ]);
    // A post is in Go by its feed or by a category, in any case.
    const go = await topics.getMany(['Go']);
    expect(inTopics({ feed: feedFile }, go)).toBe(true);
    expect(inTopics({ feed: 'https://other.example/', categories: ['GoLang'] }, go)).toBe(true);
    expect(inTopics({ feed: 'https://other.example/', categories: ['rust'] }, go)).toBe(false);
  });

  it('refuses a bad name, an unknown feed, nothing to match and a taken name', async () => {
    await expect(topics.add({ name: '<script>', categories: ['x'] })).rejects.toMatchObject({
      code: 'TOPIC_NAME_INVALID',
    });
    await expect(topics.add({ name: 'a,b', categories: ['x'] })).rejects.toMatchObject({
      code: 'TOPIC_NAME_INVALID',
    });
    await expect(
      topics.add({ name: 'Rust', feeds: ['https://rust.example/feed.xml'] }),
    ).rejects.toMatchObject({
      code: 'TOPIC_FEED_UNKNOWN',
      message: expect.stringContaining('https://rust.example/feed.xml is not one of the feeds'),
    });
    await expect(topics.add({ name: 'Rust', feeds: ['ftp://x/y'] })).rejects.toMatchObject({
      code: 'FEED_INVALID_SOURCE',
    });
    await expect(topics.add({ name: 'Rust', feeds: [], categories: [' '] })).rejects.toMatchObject({
      code: 'TOPIC_CATEGORY_INVALID',
    });
    await expect(topics.add({ name: 'Rust' })).rejects.toMatchObject({ code: 'TOPIC_EMPTY' });
    await expect(topics.add({ name: 'REDIS', categories: ['db'] })).rejects.toMatchObject({
      code: 'TOPIC_EXISTS',
      status: 409,
      message: expect.stringContaining('there is a topic "redis" already'),
    });
    expect((await topics.list()).map((x) => x.name)).toEqual(['Go', 'redis']);
  });

  it('takes a removed topic out of every choice and counts who had it', async () => {
    const add = async (email: string, chosenTopics: string[]) =>
      (await subscribers.add({ email, status: 'confirmed', topics: chosenTopics })).subscriber.id;
    const onlyGo = await add('only-go@example.org', ['Go']);
    const both = await add('both@example.org', ['redis', 'Go']);
    const onlyRedis = await add('only-redis@example.org', ['redis']);
    const all = await add('all@example.org', []);
    await topics.add({ name: 'Gone', categories: ['old'] });

    expect(await topics.remove('go')).toEqual({ name: 'Go', subscribers: 2 });
    expect(await chosen(onlyGo)).toEqual([]);
    expect(await chosen(both)).toEqual(['redis']);
    expect(await chosen(onlyRedis)).toEqual(['redis']);
    expect(await chosen(all)).toEqual([]);
    expect(await topics.get('Go')).toBeUndefined();
    expect(await topics.remove('Gone')).toEqual({ name: 'Gone', subscribers: 0 });
    await expect(topics.remove('Go')).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' });
    expect(await topics.unfinished()).toEqual([]);
  });

  it('finishes a removal that stopped part-way when run again, counting each subscriber once', async () => {
    await topics.add({ name: 'Big', categories: ['big'] });
    const items = Array.from({ length: 2500 }, (_, i) => ({
      email: `big${i}@example.org`,
      status: 'confirmed' as const,
      topics: i % 2 ? ['Big', 'redis'] : ['Big'],
    }));
    await subscribers.addMany(items);
    // Redis goes away after the removal's first chunk of subscribers.
    const stopping = failingAfter(t.redis, 2);
    await expect(createTopicStore({ redis: stopping, keys: t.keys }).remove('Big')).rejects.toThrow(
      'connection lost',
    );
    const [left] = await topics.unfinished();
    expect(left).toMatchObject({ name: 'Big', done: 1000 });
    expect(left!.of).toBeGreaterThanOrEqual(2504);
    // Gone for everyone meanwhile, and its name is not free until the removal is done.
    expect(await topics.get('Big')).toBeUndefined();
    await expect(topics.add({ name: 'big', categories: ['x'] })).rejects.toMatchObject({
      code: 'TOPIC_EXISTS',
      message: expect.stringContaining('is being removed'),
    });

    expect(await topics.remove('Big')).toEqual({ name: 'Big', subscribers: 2500 });
    expect(await topics.unfinished()).toEqual([]);
    const last = (await subscribers.getByEmail('big2499@example.org'))!;
    expect(last.topics).toEqual(['redis']);
    expect((await subscribers.getByEmail('big0@example.org'))!.topics).toEqual([]);
  });
});

/**
 * The same Redis client, whose script calls (the `lua:` commands src/lua-command.ts defines)
 * fail after the first `n` (a connection lost part-way through a removal).
 */
function failingAfter(redis: RedisClient, n: number): RedisClient {
  let calls = 0;
  return new Proxy(redis, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      const script = typeof prop === 'string' && prop.startsWith('lua:');
      if (!script || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (++calls > n) return Promise.reject(new Error('connection lost'));
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

/**
 * One `digest` process, start to exit: loading tsx and the code takes seconds, many more on a
 * machine this busy (a 2-core box under `stress --cpu 2` with other work).
 */
const CLI_RUN_MS = 60_000;

describe('digest topics (CLI)', () => {
  const c = testRedis('topics-cli');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'topics-cli-'));
  const cli = (...args: string[]) => runCli({ prefix: c.prefix, dataDir, cwd: dir }, ...args);
  afterAll(async () => {
    await c.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'adds, lists and removes topics, with feeds named as `feeds add` names them',
    async () => {
      expect((await cli('feeds', 'add', './feed.xml', '--no-check')).stdout).toContain(feedFile);
      const added = await cli(
        'topics',
        'add',
        'Go',
        '--feed',
        './feed.xml',
        '--category',
        'golang',
      );
      expect(added).toMatchObject({ code: 0, stderr: '' });
      expect(added.stdout).toBe(`Topic added: Go (1 feed; category golang)\n  feed ${feedFile}\n`);
      await cli('topics', 'add', 'Redis', '--category', 'redis', '--category', 'databases');

      const listed = await cli('topics', 'list');
      expect(listed.stdout).toBe(
        `Go\n  feed ${feedFile}\n  categories golang\nRedis\n  categories redis, databases\n`,
      );
      const json = JSON.parse((await cli('topics', 'list', '--json')).stdout) as unknown;
      expect(json).toEqual([
        { name: 'Go', feeds: [feedFile], categories: ['golang'] },
        { name: 'Redis', feeds: [], categories: ['redis', 'databases'] },
      ]);

      const subs = createSubscriberStore({ redis: c.redis, keys: c.keys });
      const { subscriber } = await subs.add({ email: 'go@example.org', topics: ['Go', 'Redis'] });
      const removed = await cli('topics', 'remove', 'go');
      expect(removed.code).toBe(0);
      expect(removed.stdout).toBe(
        'Topic "Go" removed. 1 subscriber had chosen it: from their next digest they get the posts of their other topics, or every post where it was their only one.\n',
      );
      expect((await subs.get(subscriber.id))!.topics).toEqual(['Redis']);
      expect((await cli('topics', 'list')).stdout).not.toContain('Go');
    },
    7 * CLI_RUN_MS,
  );

  it(
    'says what is wrong, exit 1: unknown feed, bad name, nothing to match, taken name',
    async () => {
      const cases: [string[], string][] = [
        [
          ['topics', 'add', 'Rust', '--feed', 'https://rust.example/feed.xml'],
          'error TOPIC_FEED_UNKNOWN: https://rust.example/feed.xml is not one of the feeds: add it first',
        ],
        [['topics', 'add', '<script>', '--category', 'x'], 'error TOPIC_NAME_INVALID: "<script>"'],
        [
          ['topics', 'add', 'Rust'],
          'error TOPIC_EMPTY: the topic "Rust" needs at least one feed or one category',
        ],
        [
          ['topics', 'add', 'redis', '--category', 'x'],
          'error TOPIC_EXISTS: there is a topic "Redis" already',
        ],
        [['topics', 'remove', 'Nope'], 'error TOPIC_NOT_FOUND: there is no topic "Nope"'],
      ];
      const results = await Promise.all(cases.map(([args]) => cli(...args)));
      results.forEach((r, i) => {
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain(cases[i]![1]);
      });
      expect((await cli('topics', 'list', '--json')).stdout).not.toContain('Rust');
    },
    6 * CLI_RUN_MS,
  );
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { quietStdout, runCli } from '../helpers/cli.js';
import { testRedis } from '../helpers/redis.js';

const t = testRedis('subscribers-cli');
const store = createSubscriberStore({ redis: t.redis, keys: t.keys });
const dataDir = mkdtempSync(path.join(tmpdir(), 'subscribers-cli-'));
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await t.cleanup();
});

/** Runs `digest <args>` as a user would; resolves with its exit code and output. */
const cli = (...args: string[]) =>
  runCli(
    { prefix: t.prefix, dataDir, env: { DIGEST_FREQUENCIES: 'daily,weekly', LOG_LEVEL: 'silent' } },
    ...args,
  );

// Each command is a process of its own (TypeScript loading included): generous on a busy machine.
describe('digest subscribers add --frequency --topics', { timeout: 240_000 }, () => {
  it('stores the frequency and time zone given, and lists them', async () => {
    const r = await cli(
      'subscribers',
      'add',
      'ada@example.org',
      '--confirmed',
      '--tz',
      'Asia/Tokyo',
      '--frequency',
      'daily',
    );
    expect(quietStdout(r)).toMatch(/added ada@example\.org \(id \d+\) as confirmed/);
    expect(await store.getByEmail('ada@example.org')).toMatchObject({
      status: 'confirmed',
      tz: 'Asia/Tokyo',
      frequency: 'daily',
      topics: [],
    });
    const list = await cli('subscribers', 'list');
    expect(list.stdout).toContain('tz=Asia/Tokyo frequency=daily');
  });

  it('refuses a frequency the site does not offer, or an unknown topic, storing nothing', async () => {
    const monthly = await cli('subscribers', 'add', 'bob@example.org', '--frequency', 'monthly');
    expect(monthly.code).toBe(1);
    expect(monthly.stderr).toContain('this site does not offer "monthly": choose daily, weekly');
    const topic = await cli('subscribers', 'add', 'bob@example.org', '--topics', 'Go,Redis');
    expect(topic.code).toBe(1);
    expect(topic.stderr).toContain('unknown topics "Go", "Redis"');
    expect(await store.getByEmail('bob@example.org')).toBeUndefined();
  });

  it('stores topics that exist, spelt as the topic store spells them', async () => {
    for (const name of ['Go', 'Redis']) {
      const added = await cli('topics', 'add', name, '--category', name.toLowerCase());
      expect(added.code, added.stderr).toBe(0);
    }
    const r = await cli('subscribers', 'add', 'carol@example.org', '--topics', 'redis, go');
    expect(r.code, r.stderr).toBe(0);
    expect(await store.getByEmail('carol@example.org')).toMatchObject({
      status: 'pending',
      topics: ['Redis', 'Go'],
    });
  });
});

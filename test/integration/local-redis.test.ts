import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { RedisUnavailableError, resolveRedis } from '../../src/redis.js';
import { freePort } from '../helpers/redis-server.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'digest-local-redis-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// These start their own redis-server: the machine's (or the cluster run's) Redis is not involved.
describe.skipIf(process.env.REDIS_CLUSTER === 'true')('the private redis-server', () => {
  it('starts one under DATA_DIR/redis with AOF and noeviction when nothing answers, and keeps its data', async () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    const port = await freePort();
    const first = await resolveRedis(config, port);
    expect(first.local).toBeDefined();
    expect(first.url).toBe(`redis://127.0.0.1:${port}`);
    const client = new Redis(first.url);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await client.config('GET', 'maxmemory-policy')).toEqual([
      'maxmemory-policy',
      'noeviction',
    ]);
    expect((await client.config('GET', 'dir'))[1]).toBe(path.resolve(dataDir, 'redis'));
    await client.set('{t}:kept', 'yes');
    client.disconnect();
    await first.local!.stop();

    // Started again on the same data: the AOF brings the key back.
    const second = await resolveRedis(config, port);
    const again = new Redis(second.url);
    expect(await again.get('{t}:kept')).toBe('yes');
    again.disconnect();
    await second.local!.stop();
  });

  it('uses what already answers instead of starting one', async () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    const port = await freePort();
    const running = await resolveRedis(config, port);
    const reused = await resolveRedis(config, port);
    expect(reused.local).toBeUndefined();
    expect(reused.url).toBe(running.url);
    await running.local!.stop();
  });

  it('says how to get Redis when there is no redis-server binary', async () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    const port = await freePort();
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const err = await resolveRedis(config, port).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisUnavailableError);
      expect((err as Error).message).toMatch(/docker compose up -d redis/);
      expect((err as Error).message).toMatch(/REDIS_URL/);
    } finally {
      process.env.PATH = saved;
    }
  });
});

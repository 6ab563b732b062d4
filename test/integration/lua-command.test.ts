import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLua, luaCommand } from '../../src/lua-command.js';
import { createRedis } from '../../src/redis.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { testRedis } from '../helpers/redis.js';

/*
 * Scripts run as ioredis commands (README, Architecture: "Redis scripts") on a real Redis: on
 * the test Redis (a cluster in the cluster pass), and on a private redis-server whose script
 * cache is flushed (SCRIPT FLUSH never touches the shared Redis).
 */

const file = new URL('../fixtures/lua/echo.lua', import.meta.url);
const echo = luaCommand<[string, string[], string[]]>(file, 2);
const echoAny = luaCommand(new URL('../fixtures/lua/twice.lua', import.meta.url), 'variable');
const sha = createHash('sha1').update(loadLua(file)).digest('hex');

describe('on the test Redis', () => {
  const t = testRedis('lua-command');
  afterAll(() => t.cleanup());

  it('runs a script with its keys and arguments, includes resolved', async () => {
    const keys = [t.keys.state, t.keys.feeds];
    expect(await echo(t.redis, keys, ['a', 7])).toEqual(['leaf-shared', keys, ['a', '7']]);
  });

  it('passes the key count of a script whose keys vary per call', async () => {
    expect(await echoAny(t.redis, [t.keys.state], [])).toBe('leaf-shared');
    expect(await echoAny(t.redis, [t.keys.state, t.keys.feeds, t.keys.topics], [1])).toBe(
      'leaf-shared',
    );
  });
});

describe('on a private Redis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer({ appendonly: false });
  });
  afterAll(() => server.stop());

  it('createRedis registers the command, and it runs again after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const client = createRedis({ url: server.url, cluster: false, prefix: '{lua}' });
    try {
      expect(
        typeof (client as unknown as Record<string, unknown>)['lua:../test/fixtures/lua/echo'],
      ).toBe('function');
      expect((await echo(client, ['a', 'b'], []))[0]).toBe('leaf-shared');
      // The second call on this connection is an EVALSHA.
      expect((await echo(client, ['a', 'b'], []))[0]).toBe('leaf-shared');
      expect(await client.script('EXISTS', sha)).toEqual([1]);
      await client.script('FLUSH');
      expect(await client.script('EXISTS', sha)).toEqual([0]);
      expect(await echo(client, ['a', 'b'], ['after'])).toEqual([
        'leaf-shared',
        ['a', 'b'],
        ['after'],
      ]);
      expect(await client.script('EXISTS', sha)).toEqual([1]);
    } finally {
      client.disconnect();
    }
  });

  it('defines the command on a client made elsewhere, even inside an auto-pipeline', async () => {
    const client = new Redis(server.url, { enableAutoPipelining: true });
    try {
      const [set, out, got] = await Promise.all([
        client.set('k', 'v'),
        echo(client, ['k', 'l'], []),
        client.get('k'),
      ]);
      expect([set, out[0], got]).toEqual(['OK', 'leaf-shared', 'v']);
      const again = await Promise.all([client.get('k'), echo(client, ['k', 'l'], ['x'])]);
      expect(again[1]).toEqual(['leaf-shared', ['k', 'l'], ['x']]);
    } finally {
      client.disconnect();
    }
  });
});

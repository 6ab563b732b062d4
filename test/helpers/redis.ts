import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { createKeys, type RedisClient } from '../../src/redis.js';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * True when the run targets a Redis Cluster (test/global-setup.ts sets REDIS_CLUSTER=true
 * under TEST_REDIS_CLUSTER=1); TEST_REDIS_URL then names one of its nodes.
 */
export const TEST_REDIS_CLUSTER = process.env.REDIS_CLUSTER === 'true';

/**
 * A new client on the test Redis: an ioredis Cluster in cluster mode, else a plain Redis.
 * Tests take it as RedisClient, so they run unchanged on both.
 */
export function connectTestRedis(opts: { maxRetriesPerRequest?: number } = {}): RedisClient {
  const maxRetriesPerRequest = opts.maxRetriesPerRequest ?? 3;
  if (TEST_REDIS_CLUSTER) {
    const u = new URL(TEST_REDIS_URL);
    return new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
      redisOptions: { maxRetriesPerRequest },
    });
  }
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest });
}

/**
 * A Redis client on the test Redis with a fresh key prefix (own hash tag) for one test file.
 * `cleanup` deletes every key under the prefix (SCAN, never KEYS) and disconnects.
 */
export function testRedis(name: string) {
  const prefix = `{t-${name}-${randomBytes(4).toString('hex')}}`;
  const redis = connectTestRedis();
  return {
    redis,
    prefix,
    keys: createKeys(prefix),
    url: TEST_REDIS_URL,
    cluster: TEST_REDIS_CLUSTER,
    async cleanup() {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/**
 * Deletes every key under `prefix`. SCAN is per node, so on a cluster every master is scanned
 * (a prefix without a hash tag may spread over all of them).
 */
export async function deletePrefix(redis: RedisClient, prefix: string): Promise<void> {
  if (!(redis instanceof Cluster)) return deleteOnNode(redis, prefix);
  // The cluster client learns its masters on connecting; before that nodes() is empty.
  await redis.ping();
  await Promise.all(redis.nodes('master').map((node) => deleteOnNode(node, prefix)));
}

/**
 * Every key matching `pattern` (SCAN on each master; never KEYS, which a cluster client sends
 * to one random node and so misses keys held by the others).
 */
export async function scanKeys(redis: RedisClient, pattern: string): Promise<string[]> {
  const nodes = redis instanceof Cluster ? (await redis.ping(), redis.nodes('master')) : [redis];
  const found = await Promise.all(
    nodes.map(async (node) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      return keys;
    }),
  );
  return found.flat();
}

async function deleteOnNode(node: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  const match = `${prefix.replace(/([*?[\]\\])/g, '\\$1')}*`;
  do {
    const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (!batch.length) continue;
    // One UNLINK per key: on a cluster node, keys of several slots in one command are refused.
    const pipe = node.pipeline();
    for (const key of batch) pipe.unlink(key);
    await pipe.exec();
  } while (cursor !== '0');
}

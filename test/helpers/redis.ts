import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createKeys } from '../../src/redis.js';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A Redis client on the test Redis with a fresh key prefix (own hash tag) for one test file.
 * `cleanup` deletes every key under the prefix (SCAN, never KEYS) and disconnects.
 */
export function testRedis(name: string) {
  const prefix = `{t-${name}-${randomBytes(4).toString('hex')}}`;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 3 });
  return {
    redis,
    prefix,
    keys: createKeys(prefix),
    url: TEST_REDIS_URL,
    async cleanup() {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  const match = `${prefix.replace(/([*?[\]\\])/g, '\\$1')}*`;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (batch.length) await redis.unlink(...batch);
  } while (cursor !== '0');
}

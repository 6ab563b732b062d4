import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isListening, startLocalRedis, type LocalRedis } from '../src/redis.js';
import { startRedisCluster, type RedisCluster } from './helpers/redis-cluster.js';

/**
 * Tests run against REDIS_URL, else 127.0.0.1:6379. When neither answers, a throwaway
 * redis-server is started on a free port for the run, so `npm test` works on a machine that
 * only has the redis-server binary.
 *
 * With TEST_REDIS_CLUSTER=1 the run targets a throwaway local Redis Cluster (three masters)
 * instead: REDIS_URL names one node and REDIS_CLUSTER=true, which test workers inherit
 * (test/helpers/redis.ts, test/helpers/pipeline.ts and spawned worker processes read them).
 */
let local: LocalRedis | undefined;
let cluster: RedisCluster | undefined;
let dir: string | undefined;

export async function setup() {
  if (process.env.TEST_REDIS_CLUSTER === '1') {
    cluster = await startRedisCluster();
    process.env.REDIS_URL = cluster.url;
    process.env.REDIS_CLUSTER = 'true';
    return;
  }
  if (process.env.REDIS_URL) return;
  if (await isListening('127.0.0.1', 6379)) return;
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  dir = mkdtempSync(path.join(tmpdir(), 'digest-test-redis-'));
  local = await startLocalRedis({ dir, port, appendonly: false });
  process.env.REDIS_URL = local.url;
}

export async function teardown() {
  await cluster?.stop();
  await local?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLedger } from '../../src/delivery/ledger.js';
import { createPostStore } from '../../src/feeds/post-store.js';
import { createKeys, createRedis, type RedisClient } from '../../src/redis.js';
import { checkRedisForProduction } from '../../src/redis-checks.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { startPipeline } from '../helpers/pipeline.js';
import { testRedis } from '../helpers/redis.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';

/*
 * README guarantee 8: every key under one prefix with a hash tag, so the stores' multi-key
 * Lua scripts and BullMQ run on Redis Cluster. This runs them against a local three-master
 * cluster through the project's own createRedis (REDIS_CLUSTER=true).
 */

let cluster: RedisCluster;
let redis: Cluster;
let bullConnection: RedisClient;
const prefix = `{t-cluster-${randomBytes(3).toString('hex')}}`;
const keys = createKeys(prefix);

beforeAll(async () => {
  if (process.env.REDIS_CLUSTER === 'true') return;
  cluster = await startRedisCluster();
  const config = loadConfig({
    REDIS_URL: cluster.url,
    REDIS_CLUSTER: 'true',
    REDIS_PREFIX: prefix,
  });
  const client = createRedis(config.redis);
  if (!(client instanceof Cluster)) throw new Error('createRedis did not make a cluster client');
  redis = client;
  // The cluster client learns the other masters on connecting.
  await redis.ping();
  bullConnection = createRedis(config.redis, { forBullmq: true });
});

afterAll(async () => {
  redis?.disconnect();
  bullConnection?.disconnect();
  await cluster?.stop();
});

/** How many keys each master holds: with one hash tag, all of them sit on one node. */
async function keysPerMaster(): Promise<number[]> {
  return Promise.all(redis.nodes('master').map((n) => n.dbsize()));
}

// In a cluster run (TEST_REDIS_CLUSTER=1) the whole suite already runs on a cluster; this file
// would only start a second one for the same checks.
describe.skipIf(process.env.REDIS_CLUSTER === 'true')('Redis Cluster', () => {
  it('is really a three-master cluster and the prefix hashes to one slot', async () => {
    expect(redis.nodes('master')).toHaveLength(3);
    const slots = await Promise.all(
      [
        keys.subscriberByEmail,
        keys.subscriber(1),
        keys.post('abc'),
        keys.ledger('weekly/2025-01-06'),
        `${prefix}:send:1`,
      ].map((k) => redis.cluster('KEYSLOT', k)),
    );
    expect(new Set(slots).size).toBe(1);
  });

  it('runs the subscriber store (Lua scripts over several keys)', async () => {
    const store = createSubscriberStore({ redis, keys });
    const added = await store.addMany(
      Array.from({ length: 50 }, (_, i) => ({
        email: `c${i}@example.com`,
        status: 'confirmed' as const,
      })),
    );
    expect(added.created).toBe(50);
    const s = await store.getByEmail('c7@example.com');
    expect(s?.status).toBe('confirmed');
    await store.setStatus(s!.id, 'unsubscribed');
    await store.suppress('c8@example.com', 'bounced');
    expect(await store.isSuppressed('c8@example.com')).toBe(true);
    await expect(store.add({ email: 'c8@example.com', status: 'confirmed' })).rejects.toMatchObject(
      {
        code: 'SUBSCRIBER_SUPPRESSED',
      },
    );
    expect(await store.counts()).toMatchObject({ confirmed: 48, unsubscribed: 1, bounced: 1 });
    const page = await store.pageIds('confirmed', 0, 10, await store.maxId());
    expect(page).toHaveLength(10);
    expect(page).toEqual([...page].sort((a, b) => a - b));
  });

  it('runs the post store and the ledger', async () => {
    const posts = createPostStore({ redis, keys });
    const now = new Date('2025-01-05T12:00:00Z');
    const item = {
      url: 'https://blog.example/a',
      title: 'A',
      summary: 'Sum',
      guid: 'a',
      publishedAt: now,
    };
    expect((await posts.upsert(item, 'https://blog.example/feed', now)).result).toBe('new');
    expect((await posts.upsert(item, 'https://blog.example/feed', now)).result).toBe('unchanged');
    const window = await posts.listPublishedBetween(now.getTime() - 1000, now.getTime() + 1000);
    expect(window.map((p) => p.title)).toEqual(['A']);
    const seq = await posts.currentSeq();
    expect((await posts.listArrivedBetween(0, seq, 10)).map((p) => p.title)).toEqual(['A']);

    // The claim reads and moves the subscriber's cursor in the same script (keys of one slot).
    await redis.hset(keys.subscriber(1), 'e', 'a@example.net', 's', 'confirmed');
    const ledger = createLedger({ redis, keys, leaseMs: 60_000 });
    const entry = { id: 1, eligible: true, variant: 'v1' };
    expect(await ledger.claim('weekly/2025-01-06', 'w1', seq, [entry])).toEqual([
      { result: 'claimed', variant: 'v1' },
    ]);
    expect(await redis.hget(keys.subscriber(1), 'q')).toBe(String(seq));
    expect(await ledger.claim('weekly/2025-01-06', 'w2', seq, [entry])).toEqual([
      { result: 'held' },
    ]);
    expect(await ledger.sent('weekly/2025-01-06', 1, 250)).toBe(true);
  });

  it('runs a BullMQ queue round trip under the same prefix', async () => {
    const queue = new Queue('send', { connection: bullConnection, prefix });
    const seen: number[][] = [];
    const results = new Map<string, unknown>();
    // Completion is observed on the worker, not through QueueEvents: QueueEvents starts reading
    // its stream only some time after waitUntilReady, so a fast job's event can be missed.
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const worker = new Worker<{ ids: number[] }>(
      'send',
      async (job) => {
        seen.push(job.data.ids);
        return job.data.ids.length;
      },
      { connection: bullConnection, prefix },
    );
    worker.on('completed', (job, value) => {
      results.set(job.id!, value);
      if (results.size === 2) allDone();
    });
    try {
      await queue.addBulk([
        { name: 'send', data: { ids: [1, 2] }, opts: { jobId: 'send-a' } },
        { name: 'send', data: { ids: [3] }, opts: { jobId: 'send-b' } },
      ]);
      await done;
      expect(Object.fromEntries(results)).toEqual({ 'send-a': 2, 'send-b': 1 });
      expect(seen.sort()).toEqual([[1, 2], [3]]);
      // A deterministic job id added again is a no-op (the build relies on it).
      await queue.add('send', { ids: [1, 2] }, { jobId: 'send-a' });
      expect(await queue.getJobCounts('completed', 'waiting')).toEqual({
        completed: 2,
        waiting: 0,
      });
      expect(seen).toHaveLength(2);
    } finally {
      await worker.close();
      await queue.close();
    }
    // Everything the stores and BullMQ wrote sits on one node: one slot, as promised.
    const perNode = await keysPerMaster();
    expect(perNode.filter((n) => n > 0)).toHaveLength(1);
  });

  it('checkRedisForProduction looks at every master', async () => {
    const warnings: string[] = [];
    const findings = await checkRedisForProduction(redis, {
      warn: (_o: unknown, msg?: string) => warnings.push(msg ?? ''),
    } as never);
    expect(findings.nodes).toHaveLength(3);
    // The test cluster runs without persistence: each master is reported.
    expect(findings.problems.filter((p) => p.code === 'REDIS_NO_PERSISTENCE')).toHaveLength(3);
    expect(warnings).toHaveLength(3);
  });
});

// Guards the cluster run itself: without it, a setup slip would run the suite on a single Redis
// twice and still pass.
describe.runIf(process.env.REDIS_CLUSTER === 'true')(
  'the cluster run (TEST_REDIS_CLUSTER=1)',
  () => {
    it('gives tests and the service cluster clients on three masters', async () => {
      const t = testRedis('cluster-run');
      const p = await startPipeline('cluster-run');
      try {
        expect(t.redis).toBeInstanceOf(Cluster);
        await t.redis.ping();
        expect((t.redis as Cluster).nodes('master')).toHaveLength(3);
        expect(p.env.REDIS_CLUSTER).toBe('true');
        expect(p.ctx.redis).toBeInstanceOf(Cluster);
        expect(p.services.bullConnection).toBeInstanceOf(Cluster);
      } finally {
        await p.stop();
        await t.cleanup();
      }
    });
  },
);

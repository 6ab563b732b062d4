import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRedisForProduction } from '../../src/redis-checks.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** Private redis-servers with the settings under test; the machine's Redis is never touched. */
const started: { server: RedisServer; client: Redis }[] = [];

async function redisWith(opts: Parameters<typeof startRedisServer>[0]) {
  const server = await startRedisServer(opts);
  const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
  started.push({ server, client });
  return client;
}

function recordingLog() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    log: { warn: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) } as never,
  };
}

afterEach(async () => {
  for (const { server, client } of started.splice(0)) {
    client.disconnect();
    await server.stop();
  }
});

// Runs on private single redis-servers with the settings under test, never on the run's Redis:
// a cluster run (TEST_REDIS_CLUSTER=1) would only repeat it. redis-cluster.test.ts covers the
// cluster case (every master checked).
describe.skipIf(process.env.REDIS_CLUSTER === 'true')('checkRedisForProduction', () => {
  it('is quiet for noeviction with AOF on', async () => {
    const { lines, log } = recordingLog();
    const findings = await checkRedisForProduction(await redisWith({ appendonly: true }), log);
    expect(findings.ok).toBe(true);
    expect(findings.nodes[0]).toMatchObject({
      source: 'config',
      maxmemoryPolicy: 'noeviction',
      appendonly: true,
      save: '',
    });
    expect(lines).toEqual([]);
  });

  it('warns loudly about an evicting policy and no persistence, saying what to set', async () => {
    const { lines, log } = recordingLog();
    const findings = await checkRedisForProduction(
      await redisWith({ appendonly: false, maxmemoryPolicy: 'allkeys-lru' }),
      log,
    );
    expect(findings.ok).toBe(false);
    expect(findings.problems.map((p) => [p.code, p.severity])).toEqual([
      ['REDIS_EVICTION_POLICY', 'loud'],
      ['REDIS_NO_PERSISTENCE', 'loud'],
    ]);
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(
        /^REDIS NOT SAFE FOR PRODUCTION: .*allkeys-lru.*maxmemory-policy noeviction/,
      ),
      expect.stringMatching(/^REDIS NOT SAFE FOR PRODUCTION: .*appendonly yes/),
    ]);
  });

  it('RDB snapshots without AOF get a softer warning', async () => {
    const { log } = recordingLog();
    const findings = await checkRedisForProduction(
      await redisWith({ appendonly: false, args: ['--save', '900 1'] }),
      log,
    );
    expect(findings.problems).toEqual([
      expect.objectContaining({ code: 'REDIS_RDB_ONLY', severity: 'soft' }),
    ]);
  });

  it('tolerates CONFIG being disabled (managed Redis) and still reads the policy from INFO', async () => {
    const { lines, log } = recordingLog();
    const client = await redisWith({
      appendonly: false,
      maxmemoryPolicy: 'volatile-lru',
      args: ['--rename-command', 'CONFIG', ''],
    });
    await expect(client.config('GET', 'maxmemory-policy')).rejects.toThrow();
    const findings = await checkRedisForProduction(client, log);
    expect(findings.nodes[0]).toMatchObject({
      source: 'info',
      maxmemoryPolicy: 'volatile-lru',
      appendonly: false,
    });
    expect(findings.problems.map((p) => p.code)).toEqual([
      'REDIS_EVICTION_POLICY',
      'REDIS_RDB_ONLY',
      'REDIS_CONFIG_UNAVAILABLE',
    ]);
    expect(lines).toHaveLength(3);
  });
});

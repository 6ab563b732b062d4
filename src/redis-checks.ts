import { Cluster, type Redis } from 'ioredis';
import type { Logger } from './log.js';
import type { RedisClient } from './redis.js';

/**
 * Checks at start that Redis is configured as this service needs it, and says loudly when it is
 * not. Redis is the data store here, not a cache: with an evicting maxmemory-policy it may drop
 * subscribers, the ledger (then someone is emailed twice) or queued jobs; without persistence a
 * restart loses all of it.
 */

export type RedisProblemCode =
  'REDIS_EVICTION_POLICY' | 'REDIS_NO_PERSISTENCE' | 'REDIS_RDB_ONLY' | 'REDIS_CONFIG_UNAVAILABLE';

export interface RedisProblem {
  code: RedisProblemCode;
  /** `loud`: data can be lost; `soft`: could not check, or weaker than recommended. */
  severity: 'loud' | 'soft';
  /** host:port of the node, for a cluster. */
  node: string;
  message: string;
}

export interface RedisNodeFindings {
  node: string;
  /** Where the values came from: CONFIG GET, INFO (CONFIG disabled, as on managed Redis), or nowhere. */
  source: 'config' | 'info' | 'none';
  maxmemoryPolicy?: string;
  appendonly?: boolean;
  /** The RDB `save` rule; '' = no snapshots; undefined when it could not be read. */
  save?: string;
}

export interface RedisFindings {
  nodes: RedisNodeFindings[];
  problems: RedisProblem[];
  ok: boolean;
}

/**
 * Reads maxmemory-policy and persistence (appendonly, save) from every master and logs a
 * `warn` for each problem with what to set. Never throws for a node that refuses CONFIG or
 * INFO; that becomes a softer warning. Returns the findings.
 */
export async function checkRedisForProduction(
  redis: RedisClient,
  log: Pick<Logger, 'warn'>,
): Promise<RedisFindings> {
  const nodes = await masters(redis);
  const findings = await Promise.all(nodes.map(({ name, client }) => readNode(name, client)));
  const problems = findings.flatMap(judge);
  for (const p of problems) {
    log.warn(
      { code: p.code, redisNode: p.node },
      p.severity === 'loud' ? `REDIS NOT SAFE FOR PRODUCTION: ${p.message}` : p.message,
    );
  }
  return { nodes: findings, problems, ok: problems.length === 0 };
}

async function masters(redis: RedisClient): Promise<{ name: string; client: Redis }[]> {
  if (!(redis instanceof Cluster)) return [{ name: nodeName(redis), client: redis }];
  // The cluster client learns its nodes on connecting; a PING makes sure it has.
  await redis.ping();
  return redis.nodes('master').map((client) => ({ name: nodeName(client), client }));
}

function nodeName(client: Redis): string {
  return `${client.options.host ?? '127.0.0.1'}:${client.options.port ?? 6379}`;
}

async function readNode(node: string, client: Redis): Promise<RedisNodeFindings> {
  try {
    const [policy, aof, save] = await Promise.all(
      ['maxmemory-policy', 'appendonly', 'save'].map(async (name) => {
        const pair = await client.config('GET', name);
        return pair[1];
      }),
    );
    return {
      node,
      source: 'config',
      maxmemoryPolicy: policy,
      appendonly: aof === 'yes',
      save: save ?? undefined,
    };
  } catch {
    // Managed Redis often renames or forbids CONFIG; INFO still shows the policy and AOF.
  }
  try {
    const info = parseInfo(`${await client.info('memory')}\n${await client.info('persistence')}`);
    return {
      node,
      source: 'info',
      maxmemoryPolicy: info.get('maxmemory_policy'),
      appendonly: info.has('aof_enabled') ? info.get('aof_enabled') === '1' : undefined,
    };
  } catch {
    return { node, source: 'none' };
  }
}

function judge(f: RedisNodeFindings): RedisProblem[] {
  const out: RedisProblem[] = [];
  const problem = (code: RedisProblemCode, severity: RedisProblem['severity'], message: string) =>
    out.push({ code, severity, node: f.node, message: `${message} (Redis ${f.node})` });

  if (f.maxmemoryPolicy !== undefined && f.maxmemoryPolicy !== 'noeviction') {
    problem(
      'REDIS_EVICTION_POLICY',
      'loud',
      `maxmemory-policy is "${f.maxmemoryPolicy}": under memory pressure Redis will delete subscribers, ` +
        'ledger entries (so people get emailed twice) and queued jobs. Set `maxmemory-policy noeviction`.',
    );
  }
  if (f.appendonly === false && f.save === '') {
    problem(
      'REDIS_NO_PERSISTENCE',
      'loud',
      'persistence is off (appendonly no, no save rule): a Redis restart loses every subscriber, digest and ' +
        'ledger entry. Set `appendonly yes` (and keep the data directory on a volume).',
    );
  } else if (f.appendonly === false) {
    problem(
      'REDIS_RDB_ONLY',
      'soft',
      f.save === undefined
        ? 'AOF is off and the RDB save rule could not be read (CONFIG is disabled): make sure your provider ' +
            'persists data; `appendonly yes` is recommended.'
        : `only RDB snapshots (save "${f.save}"): a crash loses the writes since the last snapshot, ` +
            'including ledger claims. Set `appendonly yes`.',
    );
  }
  if (f.source !== 'config') {
    problem(
      'REDIS_CONFIG_UNAVAILABLE',
      'soft',
      f.source === 'info'
        ? 'CONFIG GET is not allowed (managed Redis?): checked what INFO shows. Make sure maxmemory-policy ' +
            'is noeviction and persistence is on in your provider settings.'
        : 'neither CONFIG GET nor INFO is allowed: could not check maxmemory-policy and persistence. ' +
            'Make sure maxmemory-policy is noeviction and persistence is on.',
    );
  }
  return out;
}

function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

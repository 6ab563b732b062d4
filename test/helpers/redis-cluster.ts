import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, startRedisServer, type RedisServer } from './redis-server.js';

const run = promisify(execFile);

export interface RedisCluster {
  /** One seed node's URL, as REDIS_URL with REDIS_CLUSTER=true would name it. */
  url: string;
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

/**
 * Starts a local Redis Cluster of three masters and no replicas: three redis-server children
 * with cluster-enabled on free ports in a temp dir, joined by
 * `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`, ready once every node
 * reports cluster_state:ok. `stop()` ends the children and removes the dir.
 */
export async function startRedisCluster(opts: { masters?: number } = {}): Promise<RedisCluster> {
  const count = opts.masters ?? 3;
  const root = mkdtempSync(path.join(tmpdir(), 'redis-cluster-'));
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop({ kill: true })));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const dir = path.join(root, `node-${i}`);
      mkdirSync(dir);
      servers.push(
        await startRedisServer({
          dir,
          appendonly: false,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '3000',
            // The bus port defaults to port + 10000, past 65535 for a high free port: name one.
            '--cluster-port',
            String(await freePort()),
          ],
        }),
      );
    }
    const addrs = servers.map((s) => `127.0.0.1:${s.port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 30_000,
      },
    );
    await waitForClusterOk(servers.map((s) => s.port));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${servers[0]!.port}`,
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    stop,
  };
}

async function waitForClusterOk(ports: number[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const states = await Promise.all(
      ports.map(async (port) => {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']).catch(
          () => ({ stdout: '' }),
        );
        return /cluster_state:ok/.test(stdout);
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline)
      throw new Error(`Redis Cluster on ports ${ports.join(', ')} never reached cluster_state:ok`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

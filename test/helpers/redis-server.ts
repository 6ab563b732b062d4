import { freePort } from '../../test-support/free-port.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isListening, redisServerArgs } from '../../src/redis.js';

export { freePort };

export interface RedisServerOptions {
  /** Default true: AOF on, as in production. */
  appendonly?: boolean;
  /** Default 'noeviction'. */
  maxmemoryPolicy?: string;
  /** Data directory; default a fresh temp folder, deleted by `stop({ keepData: false })`. */
  dir?: string;
  /** Fixed port (to restart on the same one); default a free port. */
  port?: number;
  /** More `redis-server` arguments, e.g. ['--cluster-enabled', 'yes']. */
  args?: string[];
  /** Delete `dir` on stop (set for a temp dir the helper made; kept across `restart`). */
  ownsDir?: boolean;
}

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  process: ChildProcess;
  /** SIGTERM (or SIGKILL with `kill`) and wait for exit; removes a temp dir unless `keepData`. */
  stop(opts?: { kill?: boolean; keepData?: boolean }): Promise<void>;
  /**
   * Stops (SIGTERM, or SIGKILL with `kill`) and starts again on the same port and data dir,
   * after `downMs` (default 0) without a server, as a slow restart would be.
   */
  restart(opts?: { kill?: boolean; downMs?: number }): Promise<RedisServer>;
}

/**
 * Starts a private redis-server child for fault tests (restart with AOF, kill) and cluster
 * tests; resolves once it accepts connections. Never touches the machine's Redis.
 */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const port = opts.port ?? (await freePort());
  const ownDir = opts.ownsDir ?? !opts.dir;
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'redis-test-'));
  const child = spawn(
    'redis-server',
    [
      ...redisServerArgs({
        port,
        dir,
        appendonly: opts.appendonly,
        maxmemoryPolicy: opts.maxmemoryPolicy,
      }),
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const keep = (b: Buffer) => (log = (log + b.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));

  const deadline = Date.now() + 10_000;
  while (!(await isListening('127.0.0.1', port, 200))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    process: child,
    async stop(stopOpts = {}) {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill(stopOpts.kill ? 'SIGKILL' : 'SIGTERM');
        await gone;
      }
      if (ownDir && !stopOpts.keepData) rmSync(dir, { recursive: true, force: true });
    },
    async restart(restartOpts = {}) {
      await server.stop({ kill: restartOpts.kill, keepData: true });
      if (restartOpts.downMs) await new Promise((r) => setTimeout(r, restartOpts.downMs));
      return startRedisServer({ ...opts, port, dir, ownsDir: ownDir });
    },
  };
  return server;
}

/**
 * What every bench row stands on: its own redis-server on a free port (the machine's is left
 * alone), an SMTP sink, the service's config and services pointed at them, the worker
 * processes (`npm run worker`), and the meters read around a send (CPU, Redis commands).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { startLocalRedis } from '../src/redis.js';
import { createServices, type Services } from '../src/services.js';
import { freePort } from '../test-support/free-port.js';
import { startSink, type Sink } from './postfix.js';
import { treeCpuSeconds } from './proc.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every process the bench starts, killed when it exits whatever happened. */
export const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** The settings a row may change (`--connections`, `--concurrency`, `--batch`, `--jobs`). */
export interface Tuning {
  connections?: string;
  concurrency?: string;
  batch?: string;
  jobs?: string;
}

export interface Rig {
  env: Record<string, string>;
  config: Config;
  ctx: Context;
  services: Services;
  sink: Sink;
  sinkPort: number;
  redisPid: number;
  close(): Promise<void>;
}

/** A fresh Redis, sink and services; `extra` adds service settings (DIGEST_FREQUENCIES …). */
export async function openRig(tuning: Tuning, extra: Record<string, string> = {}): Promise<Rig> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const redisDir = mkdtempSync(path.join(tmpdir(), 'digest-bench-redis-'));
    cleanups.push(() => rmSync(redisDir, { recursive: true, force: true }));
    const redis = await startLocalRedis({
      dir: redisDir,
      port: await freePort(),
      appendonly: false,
    });
    cleanups.push(() => redis.stop());
    const sinkPort = await freePort();
    const sink = await startSink(sinkPort, children);
    cleanups.push(() => sink.stop());
    const dataDir = mkdtempSync(path.join(tmpdir(), 'digest-bench-data-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = {
      REDIS_URL: redis.url,
      REDIS_PREFIX: '{bench}',
      DATA_DIR: dataDir,
      SECRET: 'bench-secret-bench-secret-bench-secret-00',
      PUBLIC_URL: 'https://digest.example.com',
      MAIL_FROM: 'Bench Digest <digest@example.com>',
      SITE_NAME: 'Bench Digest',
      POSTAL_ADDRESS: '1 Bench Street, Benchville',
      SMTP_URL: `smtp://127.0.0.1:${sinkPort}`,
      LOG_LEVEL: 'warn',
      ...extra,
    };
    if (tuning.connections) env.SMTP_MAX_CONNECTIONS = tuning.connections;
    if (tuning.concurrency) env.SEND_CONCURRENCY = tuning.concurrency;
    if (tuning.batch) env.SEND_BATCH_SIZE = tuning.batch;
    if (tuning.jobs) env.SEND_JOBS = tuning.jobs;
    const config = loadConfig(env);
    const ctx = await createContext(config, { checkRedis: false });
    const services = createServices(ctx);
    cleanups.push(
      () => ctx.close(),
      () => services.close(),
    );
    const redisPid = Number(/process_id:(\d+)/.exec(await ctx.redis.info('server'))?.[1]);
    return { env, config, ctx, services, sink, sinkPort, redisPid, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The env of a process the row starts: the bench's own plus the rig's settings. */
export const childEnv = (rig: Rig) => ({ ...process.env, ...rig.env });

/**
 * Starts `count` worker processes as `npm run worker` does and waits until each one takes
 * send jobs. `profDir`: each writes a CPU profile there.
 */
export async function startWorkers(
  rig: Rig,
  count: number,
  profDir?: string,
): Promise<ChildProcess[]> {
  if (profDir) mkdirSync(profDir, { recursive: true });
  const workers: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const flags = ['--max-semi-space-size=4', ...prof, '--import', 'tsx'];
    const child = spawn(process.execPath, [...flags, path.join(root, 'workers/main.ts')], {
      cwd: root,
      env: childEnv(rig),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    workers.push(child);
  }
  while ((await rig.services.queues.send.getWorkersCount()) < count)
    await new Promise((r) => setTimeout(r, 100));
  return workers;
}

/** Stops the sending processes (SIGTERM: they finish what is in flight) and waits for them. */
export async function stopAll(senders: ChildProcess[]): Promise<void> {
  for (const c of senders) c.kill('SIGTERM');
  await Promise.all(senders.map(exited));
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (c) => r(c)));
}

/** CPU seconds used so far by the senders, Redis and the sink. */
export function cpuNow(rig: Rig, senders: ChildProcess[]) {
  return {
    senders: senders.reduce((n, c) => n + treeCpuSeconds(c.pid!), 0),
    redis: treeCpuSeconds(rig.redisPid),
    sink: rig.sink.pid ? treeCpuSeconds(rig.sink.pid) : 0,
  };
}

/** Calls per command from INFO commandstats, minus `since`; the busiest first. */
export function commandCounts(
  info: string,
  since: Record<string, number> = {},
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g))
    out[m[1]!] = Number(m[2]) - (since[m[1]!] ?? 0);
  return Object.fromEntries(
    Object.entries(out)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}

/** Redis's peak used_memory so far, in MB. */
export async function redisPeakMb(rig: Rig): Promise<number> {
  const info = await rig.ctx.redis.info('memory');
  return Math.round(Number(/used_memory_peak:(\d+)/.exec(info)?.[1] ?? 0) / 2 ** 20);
}

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { deletePrefix, TEST_REDIS_URL } from './redis.js';
import { freePort } from './redis-server.js';

/** Debian's chromium (never a downloaded browser); the browser suites skip without it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The real service as a user starts it (`src/main.ts`: HTTP and workers in one process), on a
 * free loopback port, the test Redis under its own prefix and a temporary DATA_DIR, with a
 * random ADMIN_TOKEN; `env` adds to (or overrides) that. `stop()` ends it and removes its keys
 * and files. `opts.entry` starts another entry point (`src/server.ts`: HTTP and the schedule,
 * workers apart); `opts.nodeArgs` go before it (a preload such as test/helpers/shifted-clock.ts).
 */
export async function startService(
  name: string,
  env: Record<string, string> = {},
  opts: { entry?: string; nodeArgs?: string[] } = {},
) {
  const dir = mkdtempSync(path.join(tmpdir(), `digest-${name}-`));
  const prefix = `{t-${name}-${randomBytes(4).toString('hex')}}`;
  const adminToken = `e2e-${randomBytes(12).toString('hex')}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let log = '';
  const fullEnv: Record<string, string> = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: base,
    DATA_DIR: dir,
    ADMIN_TOKEN: adminToken,
    ...env,
  };
  const args = [...(opts.nodeArgs ?? []), opts.entry ?? 'src/main.ts'];
  const server = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...fullEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (d: Buffer) => (log += d.toString()));
  server.stderr.on('data', (d: Buffer) => (log += d.toString()));

  /**
   * Polls `fn` every 200 ms until it gives a value (not undefined or false); on timeout the
   * error carries the last failure and the end of the service's log.
   */
  async function waitFor<T>(
    what: string,
    fn: () => Promise<T | undefined | false> | T | undefined | false,
    timeoutMs = 30_000,
  ): Promise<T> {
    const end = Date.now() + timeoutMs;
    let lastError = '';
    for (;;) {
      try {
        const v = await fn();
        if (v !== undefined && v !== false) return v;
      } catch (err) {
        lastError = ` (last: ${(err as Error).message})`;
      }
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}${lastError}\n--- log ---\n${log.slice(-4000)}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const service = {
    base,
    dir,
    adminToken,
    /** The service's own settings (Redis prefix, DATA_DIR, …): what its worker processes take. */
    env: fullEnv,
    waitFor,
    /** SIGTERM, at most 10 s for a clean exit, then SIGKILL; then its keys and DATA_DIR go. */
    async stop() {
      if (server.exitCode === null) {
        const gone = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
        if (server.exitCode === null) server.kill('SIGKILL');
      }
      const redis = new Redis(TEST_REDIS_URL);
      await deletePrefix(redis, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(
      'the service to be ready',
      async () => (await fetch(`${base}/readyz`)).ok,
      60_000,
    );
  } catch (err) {
    await service.stop();
    throw err;
  }
  return service;
}

export type E2eService = Awaited<ReturnType<typeof startService>>;

/** Headless Chromium for the suites. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../helpers/redis.js';
import { freePort } from '../helpers/redis-server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'start-failures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `npm start`'s entry with `env`; resolves with its exit code and output. */
function run(env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATA_DIR: dir,
        HOST: '127.0.0.1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('start-up failures (npm start as a process)', () => {
  it('Redis unreachable: one sentence on stderr and exit 1', async () => {
    // A closed loopback port: nothing listens there.
    const closed = await freePort();
    const r = await run({
      REDIS_URL: `redis://127.0.0.1:${closed}`,
      PORT: String(await freePort()),
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `Redis at redis://127.0.0.1:${closed} did not answer within 10 s (connect ECONNREFUSED 127.0.0.1:${closed}): check that it runs and that REDIS_URL is right, or unset REDIS_URL to use a local redis-server.`,
    ]);
    expect(r.stdout).not.toContain('workers started');
  }, 60_000);

  it('port in use: one sentence and exit 1, before any worker starts', async () => {
    const busy: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const r = await run({
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: `{t-start-${process.pid}}`,
        PORT: String(port),
      });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `Port ${port} on 127.0.0.1 is in use (another digest, or another program): stop it, or set PORT to a free port.`,
      );
      expect(r.stdout).not.toContain('workers started');
    } finally {
      busy.close();
    }
  }, 60_000);
});

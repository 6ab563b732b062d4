import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { testRedis } from '../helpers/redis.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const t = testRedis('subscribers-cli');
const store = createSubscriberStore({ redis: t.redis, keys: t.keys });
const dataDir = mkdtempSync(path.join(tmpdir(), 'subscribers-cli-'));
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await t.cleanup();
});

const env = {
  REDIS_URL: t.url,
  REDIS_CLUSTER: t.cluster ? 'true' : 'false',
  REDIS_PREFIX: t.prefix,
  DATA_DIR: dataDir,
  SECRET: 'test-secret-test-secret-test-secret-0123',
  DIGEST_FREQUENCIES: 'daily,weekly',
  LOG_LEVEL: 'silent',
};

/** Runs `digest <args>` as a user would; resolves with its exit code and output. */
function cli(...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
}

// Each command is a process of its own (TypeScript loading included): generous on a busy machine.
describe('digest subscribers add --frequency --topics', { timeout: 240_000 }, () => {
  it('stores the frequency and time zone given, and lists them', async () => {
    const r = await cli(
      'subscribers',
      'add',
      'ada@example.org',
      '--confirmed',
      '--tz',
      'Asia/Tokyo',
      '--frequency',
      'daily',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/added ada@example\.org \(id \d+\) as confirmed/);
    expect(await store.getByEmail('ada@example.org')).toMatchObject({
      status: 'confirmed',
      tz: 'Asia/Tokyo',
      frequency: 'daily',
      topics: [],
    });
    const list = await cli('subscribers', 'list');
    expect(list.stdout).toContain('tz=Asia/Tokyo frequency=daily');
  });

  it('refuses a frequency the site does not offer, or an unknown topic, storing nothing', async () => {
    const monthly = await cli('subscribers', 'add', 'bob@example.org', '--frequency', 'monthly');
    expect(monthly.code).toBe(1);
    expect(monthly.stderr).toContain('this site does not offer "monthly": choose daily, weekly');
    const topic = await cli('subscribers', 'add', 'bob@example.org', '--topics', 'Go,Redis');
    expect(topic.code).toBe(1);
    expect(topic.stderr).toContain('unknown topics "Go", "Redis"');
    expect(await store.getByEmail('bob@example.org')).toBeUndefined();
  });

  it('stores topics that exist, spelt as the topic store spells them', async () => {
    for (const name of ['Go', 'Redis']) {
      const added = await cli('topics', 'add', name, '--category', name.toLowerCase());
      expect(added.code, added.stderr).toBe(0);
    }
    const r = await cli('subscribers', 'add', 'carol@example.org', '--topics', 'redis, go');
    expect(r.code, r.stderr).toBe(0);
    expect(await store.getByEmail('carol@example.org')).toMatchObject({
      status: 'pending',
      topics: ['Redis', 'Go'],
    });
  });
});

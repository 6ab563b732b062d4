import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

/*
 * docker-compose.yml and the Dockerfile agree with src/config.ts. (`.ci/compose-check` runs
 * `docker-compose config` on top; this part needs no package and runs with the unit tests.)
 */

const root = path.join(import.meta.dirname, '../..');
const compose = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const configSource = readFileSync(path.join(root, 'src/config.ts'), 'utf8');

/** The `x-digest-env` block: variable → value ('${X:-d}' → 'd'), null when passed through. */
function composeEnv(): Map<string, string | null> {
  const block = /^x-digest-env: &digest-env\n((?: {2}.*\n)+)/m.exec(compose)?.[1] ?? '';
  const env = new Map<string, string | null>();
  for (const line of block.split('\n')) {
    const m = /^ {2}([A-Z][A-Z0-9_]*):\s*(.*)$/.exec(line);
    if (!m) continue;
    const value = m[2]!.trim();
    env.set(m[1]!, value === '' ? null : value.replace(/^\$\{[A-Z0-9_]+:-(.*)\}$/, '$1'));
  }
  return env;
}

/** A service's block (its indented lines). */
function service(name: string): string {
  return new RegExp(`^ {2}${name}:\\n((?: {4}.*\\n|\\n)+)`, 'm').exec(compose)?.[1] ?? '';
}

describe('docker-compose.yml', () => {
  const env = composeEnv();
  const configVars = new Set(
    [...configSource.matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]),
  );

  it('sets only variables that src/config.ts reads', () => {
    expect(env.size).toBeGreaterThan(10);
    expect([...env.keys()].filter((v) => !configVars.has(v))).toEqual([]);
    const dockerEnv = [
      ...(/^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1] ?? '').matchAll(/([A-Z][A-Z0-9_]*)=/g),
    ].map((m) => m[1]);
    expect(dockerEnv).toContain('DATA_DIR');
    expect(dockerEnv.filter((v) => !configVars.has(v))).toEqual([]);
  });

  it('gives the containers a valid config on a first run with no .env', () => {
    const fixed = Object.fromEntries([...env].filter(([, v]) => v !== null)) as Record<
      string,
      string
    >;
    expect(fixed).toMatchObject({
      REDIS_URL: 'redis://redis:6379',
      SMTP_URL: 'smtp://mailpit:1025',
      DATA_DIR: '/data',
    });
    const config = loadConfig(fixed);
    expect(config.redis.url).toBe('redis://redis:6379');
    expect(config.smtp.url).toBe('smtp://mailpit:1025');
    expect(config.secret).toBeUndefined(); // made once under DATA_DIR, shared through the volume
  });

  it('runs Redis durable (AOF, noeviction) with a health check the app waits for', () => {
    const redis = service('redis');
    expect(redis).toMatch(/--appendonly", "yes"/);
    expect(redis).toMatch(/--maxmemory-policy", "noeviction"/);
    expect(redis).toMatch(/redis-cli", "ping"/);
    expect(compose).toMatch(/redis:\n\s+condition: service_healthy/);
  });

  it('keeps the worker scalable: no container_name, no host ports', () => {
    const worker = service('worker');
    expect(worker).toContain('workers/main.ts');
    expect(worker).not.toMatch(/container_name|ports:/);
    expect(service('app')).toContain('src/server.ts');
  });

  it('names entry points that exist, and the Dockerfile runs as a non-root user', () => {
    for (const f of [...`${compose}\n${dockerfile}`.matchAll(/"([\w./-]+\.ts)"/g)].map(
      (m) => m[1]!,
    )) {
      expect(existsSync(path.join(root, f)), f).toBe(true);
    }
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
  });
});

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('config', () => {
  it('gives working defaults with no environment at all', () => {
    const c = loadConfig({});
    expect(c.redis.prefix).toBe('{newsletter}');
    expect(c.digest).toEqual({
      cron: '0 9 * * 1',
      tz: 'UTC',
      maxPosts: 20,
      preflightRetryDelayMs: 30_000,
    });
    expect(c.outboxDir).toBe('./data/outbox');
    expect(c.smtp.url).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('builds links for the local port when PUBLIC_URL is unset', () => {
    expect(loadConfig({}).site.publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '8080' }).site.publicUrl).toBe('http://localhost:8080');
    expect(
      loadConfig({ PORT: '8080', PUBLIC_URL: 'https://news.example.com/' }).site.publicUrl,
    ).toBe('https://news.example.com');
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ REDIS_PREFIX: '', SECRET: '', DIGEST_MAX_POSTS: '' }).digest.maxPosts).toBe(
      20,
    );
  });

  it.each([
    ['DIGEST_TZ', 'Mars/Olympus_Mons'],
    ['DIGEST_CRON', 'every monday'],
    ['DIGEST_MAX_POSTS', '0'],
    ['PUBLIC_URL', 'ftp://example.com'],
    ['REDIS_URL', 'http://localhost'],
    ['SMTP_URL', 'mail.example.com'],
    ['SECRET', 'short'],
    ['MAIL_FROM', 'not an address'],
    ['FEEDS', 'gopher://example.com/feed'],
    ['ACCENT_COLOR', 'red'],
    ['PORT', '70000'],
  ])('names %s when its value is invalid', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as Error).message).toContain(variable);
    }
  });

  it('asks for a {hash tag} in REDIS_PREFIX on a Redis Cluster', () => {
    expect(() => loadConfig({ REDIS_CLUSTER: 'true', REDIS_PREFIX: 'newsletter' })).toThrow(
      expect.objectContaining({ variable: 'REDIS_PREFIX' }),
    );
    expect(() => loadConfig({ REDIS_CLUSTER: 'true', REDIS_PREFIX: '{}x' })).toThrow(ConfigError);
    expect(loadConfig({ REDIS_CLUSTER: 'true', REDIS_PREFIX: 'app{news}' }).redis.cluster).toBe(
      true,
    );
    expect(loadConfig({ REDIS_PREFIX: 'newsletter' }).redis.prefix).toBe('newsletter');
  });

  it('stops the program with exit code 1 and a message naming the variable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'runs'], {
      cwd: root,
      env: { ...process.env, DIGEST_TZ: 'Nowhere/Land' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DIGEST_TZ');
  });
});

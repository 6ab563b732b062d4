import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, isTimeZone, loadConfig } from '../../src/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('config', () => {
  it('gives working defaults with no environment at all', () => {
    const c = loadConfig({});
    expect(c.redis.prefix).toBe('{newsletter}');
    expect(c.digest).toEqual({
      cron: '0 9 * * 1',
      tz: 'UTC',
      maxPosts: 20,
      minPosts: 1,
      frequencies: ['weekly'],
      defaultFrequency: 'weekly',
      crons: { daily: '0 9 * * *', weekly: '0 9 * * 1', monthly: '0 9 1 * *' },
      localTime: true,
      preflightRetryDelayMs: 30_000,
    });
    expect(c.outboxDir).toBe('./data/outbox');
    expect(c.smtp.url).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('TRUST_PROXY takes a hop count or proxy addresses, and refuses true', () => {
    expect(loadConfig({}).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(
      /TRUST_PROXY no longer takes true .*number of proxies/,
    );
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.local' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '99' })).toThrow(/TRUST_PROXY/);
  });

  it('DIGEST_FREQUENCIES lists offered frequencies; the default must be one of them', () => {
    const c = loadConfig({
      DIGEST_FREQUENCIES: 'monthly, daily',
      DIGEST_DEFAULT_FREQUENCY: 'daily',
    });
    expect(c.digest.frequencies).toEqual(['daily', 'monthly']);
    expect(c.digest.defaultFrequency).toBe('daily');
    expect(() => loadConfig({ DIGEST_FREQUENCIES: 'daily,hourly' })).toThrow(
      /DIGEST_FREQUENCIES must list some of daily, weekly, monthly \(got "hourly"\)/,
    );
    expect(() => loadConfig({ DIGEST_FREQUENCIES: 'daily' })).toThrow(
      /DIGEST_DEFAULT_FREQUENCY is weekly, which DIGEST_FREQUENCIES \(daily\) does not offer/,
    );
    expect(() => loadConfig({ DIGEST_DAILY_CRON: '0 0 31 2 *' })).toThrow(/DIGEST_DAILY_CRON/);
    expect(loadConfig({ DIGEST_LOCAL_TIME: 'false' }).digest.localTime).toBe(false);
  });

  it('FEED_ALLOW_HOSTS takes host names, addresses and CIDRs', () => {
    expect(loadConfig({}).feedAllowHosts).toEqual([]);
    expect(
      loadConfig({
        FEED_ALLOW_HOSTS: 'Feeds.Internal, 169.254.169.254,[fd00:ec2::254],10.1.0.0/16',
      }).feedAllowHosts,
    ).toEqual(['feeds.internal', '169.254.169.254', 'fd00:ec2::254', '10.1.0.0/16']);
    expect(() => loadConfig({ FEED_ALLOW_HOSTS: 'http://x/' })).toThrow(/FEED_ALLOW_HOSTS/);
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

  it('tells IANA zones from other names, the same on every call (valid ones are remembered)', () => {
    for (let round = 0; round < 2; round++) {
      expect(isTimeZone('Asia/Tokyo')).toBe(true);
      expect(isTimeZone('UTC')).toBe(true);
      expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
      expect(isTimeZone('')).toBe(false);
    }
  });
});

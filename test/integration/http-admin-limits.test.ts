import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_CLUSTER, TEST_REDIS_URL } from '../helpers/redis.js';
import {
  ADMIN_TOKEN,
  httpHarness,
  postForm,
  SECRET,
  withHarness,
  type Harness,
} from './http-setup.js';

/** Failed admin authentication: per client, globally, with short growing delays (README). */
const LIMITS = {
  perClient: 3,
  global: 8,
  windowMs: 60_000,
  baseDelayMs: 300,
  maxClientDelayMs: 1_000,
  maxGlobalDelayMs: 1_000,
};

let h: Harness;
beforeAll(async () => {
  h = await httpHarness('admin-limits', { limits: { auth: LIMITS } });
});
afterAll(async () => h.close());

const apiAs = (ip: string, token: string) =>
  h.app.inject({
    url: '/admin/api/digests',
    remoteAddress: ip,
    headers: { authorization: `Bearer ${token}` },
  });

/** Polls until `ip` is let through with the right token again (the delay is short). */
async function waitUntilLetIn(ip: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const res = await apiAs(ip, ADMIN_TOKEN);
    if (res.statusCode !== 429) return res.statusCode;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${ip} still refused`);
}

async function login(ip: string, token: string) {
  return postForm(h.app, '/admin/login', { token }, { remoteAddress: ip });
}

describe('failed admin authentication', () => {
  it('bearer guesses on /admin/api get 429 after a few, even the right token, then it works', async () => {
    const ip = '10.1.0.1';
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await apiAs(ip, `wrong-${i}-0123456789`)).statusCode);
    expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
    expect(codes.slice(3)).toEqual([429, 429, 429]);
    const locked = await apiAs(ip, ADMIN_TOKEN);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(locked.json().error.code).toBe('RATE_LIMITED');
    // Another client is not held up by this one's delay.
    expect((await apiAs('10.1.0.2', ADMIN_TOKEN)).statusCode).toBe(200);
    // The delay is short: the real admin gets in again.
    expect(await waitUntilLetIn(ip)).toBe(200);
  });

  it('the login form counts too, and an IPv6 /64 is one client', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await login(`2001:db8:5:6::${i + 1}`, 'not-the-token-000')).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const locked = await login('2001:db8:5:6::ff', ADMIN_TOKEN);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['set-cookie']).toBeUndefined();
    expect((await login('2001:db8:5:7::1', ADMIN_TOKEN)).statusCode).toBe(303);
  });

  it('many clients together hit the global limit; a session cookie is never held up', async () => {
    const good = await login('10.2.0.1', ADMIN_TOKEN);
    const cookie = String(good.headers['set-cookie']).split(';')[0]!;
    await new Promise((r) => setTimeout(r, LIMITS.maxGlobalDelayMs + 100));
    const codes: number[] = [];
    for (let i = 0; i < 12; i++)
      codes.push((await apiAs(`10.3.${i}.1`, `guess-${i}-0123456789`)).statusCode);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(LIMITS.global);
    expect(codes.at(-1)).toBe(429);
    // A fresh client is refused while the global delay runs...
    expect((await apiAs('10.4.0.1', ADMIN_TOKEN)).statusCode).toBe(429);
    // ...but a logged-in admin works on.
    expect((await h.app.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(200);
    expect(await waitUntilLetIn('10.4.0.1')).toBe(200);
  });
});

describe('request logs', () => {
  it('never carry the tokens of links or login codes', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    await withHarness(
      'admin-logs',
      {
        log: pino({ level: 'debug' }, sink),
      },
      async (logged) => {
        const secret = 'A'.repeat(40);
        await logged.app.inject({ url: `/confirm?token=${secret}` });
        await logged.app.inject({ url: `/preferences?token=${secret}` });
        await logged.app.inject({ url: `/admin/login?code=${'B'.repeat(43)}` });
        // A failing request logs its URL at error level: redacted too.
        logged.redis.disconnect();
        const token = logged.tokens.sign('unsubscribe', 1);
        await logged.app.inject({ url: `/unsubscribe?token=${token}` });
        await logged.redis.connect().catch(() => undefined);
        const all = lines.join('');
        expect(all).toContain('/unsubscribe?[redacted]');
        expect(all).not.toMatch(/AAAAAAAAAA|BBBBBBBBBB/);
        expect(all).not.toContain(token);
      },
    );
  });
});

describe.skipIf(TEST_REDIS_CLUSTER)('digest admin sessions revoke', () => {
  it('ends every admin session from the command line', async () => {
    const res = await login('10.9.0.1', ADMIN_TOKEN);
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    expect((await h.app.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(200);
    const root = path.resolve(import.meta.dirname, '../..');
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'admin', 'sessions', 'revoke'],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          REDIS_URL: TEST_REDIS_URL,
          REDIS_PREFIX: h.keys.prefix,
          SECRET,
          ADMIN_TOKEN,
          LOG_LEVEL: 'silent',
        },
      },
    );
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/Revoked [1-9]\d* admin session/);
    expect((await h.app.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(303);
  }, 60_000);
});

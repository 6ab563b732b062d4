import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAdminAuth } from '../../src/http/admin-auth.js';
import {
  createAdminSessions,
  SESSION_ABSOLUTE_MS,
  SESSION_IDLE_MS,
} from '../../src/http/admin-sessions.js';
import { testRedis } from '../helpers/redis.js';
import { ensureAdminToken, ensureSecret } from '../../src/secrets.js';
import { escapeHtml } from '../../src/escape-html.js';
import { html, raw, safeHref } from '../../src/http/html.js';
import { textOn } from '../../src/http/pages/layout.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'admin-token-'));
  dirs.push(d);
  return path.join(d, 'data');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const t = testRedis('admin-sessions');
afterAll(() => t.cleanup());
const SECRET = 'session-secret-0123456789abcdef0123456789';

describe('ensureAdminToken', () => {
  it('uses ADMIN_TOKEN when set, and writes nothing', () => {
    const warnings: unknown[] = [];
    const out = ensureAdminToken({ adminToken: 'configured-token-123456', dataDir: tempDir() }, {
      warn: (...a: unknown[]) => warnings.push(a),
    } as never);
    expect(out).toEqual({ token: 'configured-token-123456', generated: false });
    expect(warnings).toHaveLength(0);
  });

  it('makes a token at first start (0600), never logs it, and reuses it after', () => {
    const dataDir = tempDir();
    const lines: string[] = [];
    const log = {
      warn: (o: unknown, msg: string) => lines.push(JSON.stringify(o) + msg),
    } as never;
    const first = ensureAdminToken({ adminToken: undefined, dataDir }, log);
    expect(first.generated).toBe(true);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(path.join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('admin-token');
    expect(lines[0]).not.toContain(first.token);
    const second = ensureAdminToken({ adminToken: undefined, dataDir }, log);
    expect(second).toEqual({ token: first.token, generated: false });
    expect(lines).toHaveLength(1);
  });

  it('replaces an empty token file instead of accepting it', () => {
    const dataDir = tempDir();
    ensureSecret({ secret: undefined, dataDir }); // creates the directory
    writeFileSync(path.join(dataDir, 'admin-token'), '\n');
    expect(() =>
      ensureAdminToken({ adminToken: undefined, dataDir }, {
        warn: () => undefined,
      } as never),
    ).toThrow(/no usable value/);
  });
});

describe('ensureSecret', () => {
  it('keeps a generated secret across calls; SECRET wins', () => {
    const dataDir = tempDir();
    const a = ensureSecret({ secret: undefined, dataDir });
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(ensureSecret({ secret: undefined, dataDir })).toBe(a);
    expect(ensureSecret({ secret: 'x'.repeat(40), dataDir })).toBe('x'.repeat(40));
  });
});

describe('admin sessions', () => {
  const clock = { now: new Date('2026-01-01T00:00:00Z') };
  const sessions = createAdminSessions({
    redis: t.redis,
    keys: t.keys,
    secret: SECRET,
    now: () => clock.now,
  });
  const later = (ms: number) => (clock.now = new Date(clock.now.getTime() + ms));

  it('a cookie is a random id signed with a key from SECRET, not the admin token', async () => {
    const cookie = await sessions.create();
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(await sessions.verify(cookie)).toBeDefined();
    // Another secret does not accept it; a changed id or tag is refused before Redis.
    const other = createAdminSessions({ redis: t.redis, keys: t.keys, secret: 'x'.repeat(40) });
    expect(await other.verify(cookie)).toBeUndefined();
    const [id, tag] = cookie.split('.');
    expect(
      await sessions.verify(`${id}.${tag!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`),
    ).toBeUndefined();
    // Redis holds a hash of the id, never the cookie.
    const stored = JSON.stringify(await t.redis.zrange(t.keys.adminSessions, '0', '-1'));
    expect(stored).not.toContain(id!);
    const session = (await sessions.verify(cookie))!;
    const csrf = sessions.csrfFor(session);
    expect(sessions.verifyCsrf(session, csrf)).toBe(true);
    expect(sessions.verifyCsrf(session, undefined)).toBe(false);
    expect(sessions.verifyCsrf((await sessions.verify(await sessions.create()))!, csrf)).toBe(
      false,
    );
  });

  it('ends after the idle time, and after the absolute time even when in use', async () => {
    const idle = await sessions.create();
    later(SESSION_IDLE_MS - 60_000);
    expect(await sessions.verify(idle)).toBeDefined(); // used: the idle clock starts again
    later(SESSION_IDLE_MS - 60_000);
    expect(await sessions.verify(idle)).toBeDefined();
    later(SESSION_IDLE_MS);
    expect(await sessions.verify(idle)).toBeUndefined();

    const busy = await sessions.create();
    const start = clock.now.getTime();
    while (clock.now.getTime() - start < SESSION_ABSOLUTE_MS - SESSION_IDLE_MS / 2) {
      later(SESSION_IDLE_MS / 2);
      expect(await sessions.verify(busy)).toBeDefined();
    }
    later(SESSION_IDLE_MS / 2);
    expect(await sessions.verify(busy)).toBeUndefined();
  });

  it('logout revokes one session; revokeAll ends every one', async () => {
    const a = await sessions.create();
    const b = await sessions.create();
    const c = await sessions.create();
    await sessions.revoke(a);
    expect(await sessions.verify(a)).toBeUndefined();
    expect(await sessions.verify(b)).toBeDefined();
    expect(await sessions.revokeAll()).toBeGreaterThanOrEqual(2);
    expect(await sessions.verify(b)).toBeUndefined();
    expect(await sessions.verify(c)).toBeUndefined();
    expect(await t.redis.exists(t.keys.adminSessions)).toBe(0);
  });

  it('a login code works once; a made-up one never', async () => {
    const code = await sessions.createLoginCode();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await sessions.useLoginCode('A'.repeat(43))).toBe(false);
    expect(await sessions.useLoginCode(code)).toBe(true);
    expect(await sessions.useLoginCode(code)).toBe(false);
  });

  it('checks the bearer header strictly', () => {
    const auth = createAdminAuth({ adminToken: 'token-one-0123456789' });
    expect(auth.bearerMatches('Bearer token-one-0123456789')).toBe(true);
    expect(auth.bearerMatches('bearer token-one-0123456789')).toBe(true);
    expect(auth.bearerMatches('Bearer token-one-012345678')).toBe(false);
    expect(auth.bearerMatches('Bearer token-one-0123456789 extra')).toBe(false);
    expect(auth.bearerMatches(undefined)).toBe(false);
    expect(auth.tokenMatches('')).toBe(false);
  });
});

describe('html helpers', () => {
  it('escapes every interpolated value unless marked raw', () => {
    const evil = `<img src=x onerror="alert('1')">&`;
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</p>',
    );
    expect(html`${[evil, raw('<b>ok</b>'), null, undefined, false, 0]}`.value).toBe(
      `${escapeHtml(evil)}<b>ok</b>0`,
    );
    expect(html`<i>${html`<b>${'<'}</b>`}</i>`.value).toBe('<i><b>&lt;</b></i>');
  });

  it('only lets http(s) and same-site paths into hrefs', () => {
    expect(safeHref('https://a.example/x')).toBe('https://a.example/x');
    expect(safeHref('/digests')).toBe('/digests');
    expect(safeHref('//evil.example')).toBe('#');
    expect(safeHref('javascript:alert(1)')).toBe('#');
  });

  it('picks readable text on the accent colour', () => {
    expect(textOn('#1a73e8')).toBe('#ffffff');
    expect(textOn('#ffeb3b')).toBe('#000000');
    expect(textOn('#000000')).toBe('#ffffff');
  });
});

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminAuth, SESSION_TTL_SECONDS } from '../../src/http/admin-auth.js';
import { ensureAdminToken, ensureSecret } from '../../src/secrets.js';
import { escapeHtml, html, raw, safeHref } from '../../src/http/html.js';
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

const site = { publicUrl: 'https://digest.example' } as never;

describe('ensureAdminToken', () => {
  it('uses ADMIN_TOKEN when set, and writes nothing', () => {
    const warnings: unknown[] = [];
    const out = ensureAdminToken(
      { adminToken: 'configured-token-123456', dataDir: tempDir(), site },
      { warn: (...a: unknown[]) => warnings.push(a) } as never,
    );
    expect(out).toEqual({ token: 'configured-token-123456', generated: false });
    expect(warnings).toHaveLength(0);
  });

  it('makes a token at first start (0600), prints a login link once, and reuses it after', () => {
    const dataDir = tempDir();
    const lines: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => lines.push(msg) } as never;
    const first = ensureAdminToken({ adminToken: undefined, dataDir, site }, log);
    expect(first.generated).toBe(true);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(path.join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`https://digest.example/admin/login?token=${first.token}`);
    const second = ensureAdminToken({ adminToken: undefined, dataDir, site }, log);
    expect(second).toEqual({ token: first.token, generated: false });
    expect(lines).toHaveLength(1);
  });

  it('replaces an empty token file instead of accepting it', () => {
    const dataDir = tempDir();
    ensureSecret({ secret: undefined, dataDir }); // creates the directory
    writeFileSync(path.join(dataDir, 'admin-token'), '\n');
    expect(() =>
      ensureAdminToken({ adminToken: undefined, dataDir, site }, {
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
  it('a session is not the token, expires, and dies when the token changes', () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const auth = createAdminAuth({ adminToken: 'token-one-0123456789', now: () => now });
    const session = auth.createSession();
    expect(session).not.toContain('token-one');
    expect(auth.verifySession(session)).toBe(true);
    expect(
      createAdminAuth({ adminToken: 'token-two-0123456789', now: () => now }).verifySession(
        session,
      ),
    ).toBe(false);
    const csrf = auth.csrfFor(session);
    expect(auth.verifyCsrf(session, csrf)).toBe(true);
    expect(auth.verifyCsrf(auth.createSession().replace(/^\d+/, '1'), csrf)).toBe(false);
    expect(auth.verifyCsrf(session, undefined)).toBe(false);
    now = new Date(now.getTime() + (SESSION_TTL_SECONDS + 1) * 1000);
    expect(auth.verifySession(session)).toBe(false);
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

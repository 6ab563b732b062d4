import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerAdminCommands } from '../../src/cli/admin.js';
import { logLoginLink } from '../../src/start-http.js';
import { openTestServices } from '../helpers/cli.js';
import { testRedis } from '../helpers/redis.js';

const t = testRedis('admin-cli');
const open = openTestServices(t.prefix, { PUBLIC_URL: 'https://digest.example' });
afterAll(() => t.cleanup());
afterEach(() => vi.restoreAllMocks());

function run(...args: string[]) {
  const program = new Command().exitOverride();
  registerAdminCommands(program, open);
  return program.parseAsync(['node', 'digest', 'admin', ...args]);
}

function printed(spy: { mock: { calls: unknown[][] } }): string {
  return spy.mock.calls.map((c) => String(c[0])).join('');
}

describe('digest admin', () => {
  it('login-link prints a one-time link whose code works once', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await run('login-link');
    const line = printed(out).trim();
    const m = /^https:\/\/digest\.example\/admin\/login\?code=([A-Za-z0-9_-]{43})$/.exec(line);
    expect(m, line).not.toBeNull();
    const opened = await open();
    try {
      expect(await opened.services.adminSessions.useLoginCode(m![1])).toBe(true);
      expect(await opened.services.adminSessions.useLoginCode(m![1])).toBe(false);
    } finally {
      await opened.close();
    }
  });

  it('the start-up log line carries a working code and never the admin token', async () => {
    const opened = await open();
    const { services } = opened;
    try {
      const lines: string[] = [];
      const log = { warn: (msg: string) => lines.push(msg) };
      await logLoginLink({ log } as unknown as Parameters<typeof logLoginLink>[0], services);
      expect(lines).toHaveLength(1);
      const code = /\?code=([A-Za-z0-9_-]{43}) /.exec(lines[0]!)?.[1];
      expect(lines[0]).toContain('npm run digest -- admin login-link');
      const { token } = services.adminToken();
      expect(token.length).toBeGreaterThanOrEqual(16);
      expect(lines[0]).not.toContain(token);
      expect(await services.adminSessions.useLoginCode(code)).toBe(true);
    } finally {
      await opened.close();
    }
  });

  it('sessions revoke ends every session', async () => {
    const first = await open();
    let cookie: string;
    try {
      cookie = await first.services.adminSessions.create();
      expect(await first.services.adminSessions.verify(cookie)).toBeDefined();
    } finally {
      await first.close();
    }
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await run('sessions', 'revoke');
    expect(printed(out)).toMatch(/^Revoked [1-9]\d* admin session\(s\)\.\n$/);
    const again = await open();
    try {
      expect(await again.services.adminSessions.verify(cookie)).toBeUndefined();
    } finally {
      await again.close();
    }
  });
});

import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBounces } from '../../src/delivery/bounce-import.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { createTokens } from '../../src/subscribers/tokens.js';
import { SAMPLE_ENV } from '../helpers/mail-samples.js';
import { TEST_REDIS_CLUSTER, TEST_REDIS_URL, testRedis } from '../helpers/redis.js';

/**
 * DSNs Postfix itself wrote for digests the service sent (test/fixtures/bounces/postfix/README.md):
 * `digest bounces import` trusts them, and the same reports altered by hand are refused.
 */

const root = path.resolve(import.meta.dirname, '../..');
const MAILDIR = path.join(root, 'test/fixtures/bounces/postfix/Maildir');
const t = testRedis('bounces-postfix');
const store = createSubscriberStore({ redis: t.redis, keys: t.keys });
// The secret the fixtures' tokens were signed with (mail-samples.ts).
const tokens = createTokens(SAMPLE_ENV.SECRET);
let tmp: string;

/** `digest bounces import --json <target>` as a user runs it, on this file's key prefix. */
function cli(...args: string[]) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'bounces', 'import', '--json', ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_CLUSTER: TEST_REDIS_CLUSTER ? 'true' : 'false',
        REDIS_PREFIX: t.prefix,
        DATA_DIR: path.join(tmp, 'data'),
        SECRET: SAMPLE_ENV.SECRET,
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise<{ code: number | null; result: Record<string, unknown>; stderr: string }>(
    (resolve, reject) =>
      child.once('close', (code) => {
        try {
          resolve({ code, result: JSON.parse(stdout) as Record<string, unknown>, stderr });
        } catch {
          reject(new Error(`bounces import printed no JSON (exit ${code}): ${stderr}`));
        }
      }),
  );
}

/** The DSN Postfix returned with the whole original, for gone@reader.example (id 1). */
async function realDsn(): Promise<string> {
  const names = (await readdir(path.join(MAILDIR, 'new'))).sort();
  return readFile(path.join(MAILDIR, 'new', names[0]!), 'latin1');
}

const status = async (email: string) => (await store.getByEmail(email))?.status;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'bounces-postfix-'));
  // A fresh prefix numbers subscribers from 1, as the fixtures' tokens need.
  const added = await store.addMany(
    ['gone@reader.example', 'moved@reader.example', 'other@reader.example'].map((email) => ({
      email,
      status: 'confirmed' as const,
    })),
  );
  expect(added.items.map((i) => i.outcome)).toEqual(['created', 'created', 'created']);
  expect((await store.getByEmail('gone@reader.example'))?.id).toBe(1);
  expect((await store.getByEmail('moved@reader.example'))?.id).toBe(2);
});

afterAll(async () => {
  await t.cleanup();
  await rm(tmp, { recursive: true, force: true });
});

describe('real Postfix DSNs', () => {
  it('refuses the real DSN altered to name another subscriber, or signed with another secret', async () => {
    const real = await realDsn();
    const token = tokens.sign('bounce', 1);
    expect(real).toContain(`Delivered-To: bounces+${token}@news.example.com`);
    const forged = path.join(tmp, 'forged.eml');
    // gone@'s own bounce (its token, its Message-ID) rewritten to be about other@ (id 3)
    await writeFile(
      forged,
      real.replaceAll('gone@reader.example', 'other@reader.example'),
      'latin1',
    );
    expect(await importBounces({ store, tokens }, forged)).toMatchObject({
      messages: 1,
      bounced: 0,
      untrusted: 1,
    });
    // other@'s id with a token signed by someone without our SECRET
    const stranger = createTokens('not-our-secret-0123456789abcdef0123').sign('bounce', 3);
    const resigned = real
      .replaceAll(token, stranger)
      .replaceAll('gone@reader.example', 'other@reader.example');
    await writeFile(forged, resigned, 'latin1');
    expect(await importBounces({ store, tokens }, forged)).toMatchObject({
      bounced: 0,
      untrusted: 1,
    });
    // the same real reports read with another SECRET: no token of ours
    const elsewhere = createTokens('another-install-0123456789abcdef0123');
    expect(await importBounces({ store, tokens: elsewhere }, MAILDIR)).toMatchObject({
      messages: 2,
      bounced: 0,
      untrusted: 2,
    });
    for (const email of ['gone@reader.example', 'moved@reader.example', 'other@reader.example']) {
      expect(await status(email), email).toBe('confirmed');
      expect(await store.isSuppressed(email), email).toBe(false);
    }
  });

  it('`digest bounces import` bounces and suppresses both subscribers from the Maildir', async () => {
    // A copy, as a bounce mailbox would hold it: the import reads a Maildir recursively.
    const maildir = path.join(tmp, 'Maildir');
    await cp(MAILDIR, maildir, { recursive: true });
    const { code, result, stderr } = await cli(maildir);
    expect(code, stderr).toBe(0);
    expect(result).toMatchObject({ messages: 2, bounced: 2, untrusted: 0, unknown: 0, errors: [] });
    for (const email of ['gone@reader.example', 'moved@reader.example']) {
      expect(await status(email), email).toBe('bounced');
      expect(await store.isSuppressed(email), email).toBe(true);
    }
    expect(await status('other@reader.example')).toBe('confirmed');
    expect(await store.isSuppressed('other@reader.example')).toBe(false);
  }, 60_000);
});

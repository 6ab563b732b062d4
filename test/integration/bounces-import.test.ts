import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBounces } from '../../src/delivery/bounce-import.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { createTokens } from '../../src/subscribers/tokens.js';
import { testRedis } from '../helpers/redis.js';

const RAW_FIXTURES = path.join(import.meta.dirname, '../fixtures/bounces');
const t = testRedis('bounces');
const store = createSubscriberStore({ redis: t.redis, keys: t.keys });
const tokens = createTokens('bounces-test-secret-0123456789abcdef');
let tmp: string;
/** The fixtures with the tokens we would have signed filled in: reports about mail we sent. */
let FIXTURES: string;
/** The same with the placeholders left in: reports that name no token of ours. */
let UNSIGNED: string;

/**
 * Copies the fixture files (not postfix/: bounces-postfix.test.ts), filling `{{bounce <email>}}`
 * with that subscriber's signed bounce token (as the VERP sender and the Message-ID of a digest
 * carry it) when `sign`, and base64-encoding `{{base64 ... base64}}` blocks.
 */
async function tokenise(from: string, to: string, sign: boolean) {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const name = entry.name;
    let text = await readFile(path.join(from, name), 'latin1');
    for (const m of sign ? [...text.matchAll(/\{\{bounce ([^}]+)\}\}/g)] : []) {
      const sub = await store.getByEmail(m[1]!);
      text = text.replace(m[0], tokens.sign('bounce', sub!.id));
    }
    text = text.replace(/\{\{base64\n([\s\S]*?)\nbase64\}\}/g, (_, body: string) =>
      Buffer.from(body.replace(/\n/g, '\r\n')).toString('base64').replace(/.{76}/g, '$&\n'),
    );
    await writeFile(path.join(to, name), text, 'latin1');
  }
}

afterAll(async () => {
  await t.cleanup();
  await rm(tmp, { recursive: true, force: true });
});

describe('bounces import', () => {
  beforeAll(async () => {
    await store.addMany(
      [
        'gone@example.net', // dsn-failed-5.1.1: permanent
        'alice@example.com', // dsn-multi, as Alice@Example.COM: permanent
        'carol@example.com', // dsn-multi: 4.4.7, temporary
        'slow@example.com', // dsn-delayed
        'Erin@hotmail.example', // arf-abuse-rfc822
        'frank@isp.example', // arf-abuse-headers
        'henry@example.net', // several.mbox: permanent
        'jack@example.com', // several.mbox: delayed
      ].map((email) => ({ email, status: 'confirmed' as const })),
    );
    await store.add({ email: 'ivy@mail.example', status: 'unsubscribed' }); // several.mbox: fraud
    tmp = await mkdtemp(path.join(tmpdir(), 'bounces-'));
    FIXTURES = path.join(tmp, 'signed');
    UNSIGNED = path.join(tmp, 'unsigned');
    await mkdir(FIXTURES);
    await mkdir(UNSIGNED);
    await tokenise(RAW_FIXTURES, FIXTURES, true);
    await tokenise(RAW_FIXTURES, UNSIGNED, false);
  });

  it('ignores reports that carry no token we signed, and counts them', async () => {
    const r = await importBounces({ store, tokens }, UNSIGNED);
    expect(r).toMatchObject({ bounced: 0, complained: 0, untrusted: 7, temporary: 3 });
    expect((await store.getByEmail('gone@example.net'))?.status).toBe('confirmed');
    expect(await store.isSuppressed('gone@example.net')).toBe(false);
    expect(await store.isSuppressed('bob@example.com')).toBe(false);
  });

  it("ignores a forged DSN that carries one subscriber's real token but names another", async () => {
    const forged = path.join(tmp, 'forged.eml');
    const slow = await store.getByEmail('slow@example.com');
    const real = await readFile(path.join(RAW_FIXTURES, 'dsn-failed-5.1.1.eml'), 'latin1');
    // slow@ forwards a digest's Return-Path into a hand-made report about gone@
    await writeFile(forged, real.replace(/\{\{bounce [^}]+\}\}/, tokens.sign('bounce', slow!.id)));
    const r = await importBounces({ store, tokens }, forged);
    expect(r).toMatchObject({ messages: 1, bounced: 0, untrusted: 1 });
    // a token signed with another secret is no token of ours
    const other = createTokens('another-secret-0123456789abcdef0123');
    const gone = await store.getByEmail('gone@example.net');
    await writeFile(forged, real.replace(/\{\{bounce [^}]+\}\}/, other.sign('bounce', gone!.id)));
    expect(await importBounces({ store, tokens }, forged)).toMatchObject({ untrusted: 1 });
    expect(await store.isSuppressed('gone@example.net')).toBe(false);
  });

  it('a dry run counts and changes nothing', async () => {
    const r = await importBounces({ store, tokens }, FIXTURES, { dryRun: true });
    expect(r.bounced).toBe(3);
    expect((await store.getByEmail('gone@example.net'))?.status).toBe('confirmed');
    expect(await store.isSuppressed('gone@example.net')).toBe(false);
  });

  it('marks permanent bounces bounced and complaints complained, and suppresses them', async () => {
    const r = await importBounces({ store, tokens }, FIXTURES);
    expect(r).toMatchObject({
      messages: 6 + 4,
      bounced: 3, // gone, alice, henry
      complained: 3, // erin, frank, ivy
      temporary: 3, // slow, carol, jack
      otherIgnored: 1, // dave: delivered
      untrusted: 1, // bob: in alice's report, but the token is alice's
      unknown: 0,
      invalid: 0,
    });
    // garbage.eml and the out-of-office message in the mbox.
    expect(r.errors.map((e) => `${path.basename(e.source)} ${e.code}`)).toEqual([
      'garbage.eml NOT_A_REPORT',
      'several.mbox#4 NOT_A_REPORT',
    ]);

    const status = async (email: string) => (await store.getByEmail(email))?.status;
    for (const email of ['gone@example.net', 'alice@example.com', 'henry@example.net']) {
      expect(await status(email), email).toBe('bounced');
      expect(await store.isSuppressed(email), email).toBe(true);
    }
    for (const email of ['Erin@hotmail.example', 'frank@isp.example', 'ivy@mail.example']) {
      // ivy had unsubscribed: a complaint still wins.
      expect(await status(email), email).toBe('complained');
      expect(await store.isSuppressed(email), email).toBe(true);
    }
    for (const email of ['carol@example.com', 'slow@example.com', 'jack@example.com']) {
      expect(await status(email), email).toBe('confirmed');
      expect(await store.isSuppressed(email), email).toBe(false);
    }
    // An address the token does not name is left alone.
    expect(await store.isSuppressed('bob@example.com')).toBe(false);
    const counts = await store.counts();
    expect(counts).toMatchObject({ confirmed: 3, bounced: 3, complained: 3, unsubscribed: 0 });
  });

  it('a later import of subscribers does not revive a bounced or complained address', async () => {
    const again = await store.addMany(
      ['gone@example.net', 'ERIN@hotmail.example', 'new@example.com'].map((email) => ({
        email,
        status: 'confirmed' as const,
      })),
    );
    expect(again.items.map((i) => i.outcome)).toEqual(['suppressed', 'suppressed', 'created']);
    expect((await store.getByEmail('gone@example.net'))?.status).toBe('bounced');
    expect((await store.getByEmail('Erin@hotmail.example'))?.status).toBe('complained');
    await expect(
      store.add({ email: 'gone@example.net', status: 'confirmed' }),
    ).rejects.toMatchObject({
      code: 'SUBSCRIBER_SUPPRESSED',
    });
  });

  it('importing the same reports again changes nothing', async () => {
    const before = await store.counts();
    const r = await importBounces({ store, tokens }, FIXTURES);
    expect(r.bounced).toBe(3);
    expect(await store.counts()).toEqual(before);
  });

  it("unsubscribes on a mail to a subscriber's unsubscribe+<token> address, and only then", async () => {
    const sub = await store.getByEmail('carol@example.com');
    const mail = (to: string) =>
      `From: Carol <carol@example.com>\r\nTo: ${to}\r\nSubject: unsubscribe\r\n` +
      `Message-ID: <u1@example.com>\r\n\r\nPlease stop.\r\n`;
    const file = path.join(tmp, 'unsubscribe.eml');
    // no token: not a request we can attribute (the From proves nothing)
    await writeFile(file, mail('unsubscribe@example.org'));
    expect(await importBounces({ store, tokens }, file)).toMatchObject({ unsubscribed: 0 });
    // a bounce token is not an unsubscribe token
    await writeFile(file, mail(`unsubscribe+${tokens.sign('bounce', sub!.id)}@example.org`));
    expect(await importBounces({ store, tokens }, file)).toMatchObject({ unsubscribed: 0 });
    expect((await store.get(sub!.id))?.status).toBe('confirmed');
    await writeFile(file, mail(`<unsubscribe+${tokens.sign('unsubscribe', sub!.id)}@example.org>`));
    const r = await importBounces({ store, tokens }, file);
    expect(r).toMatchObject({ messages: 1, unsubscribed: 1, errors: [] });
    expect((await store.get(sub!.id))?.status).toBe('unsubscribed');
  });
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBounces } from '../../src/delivery/bounce-import.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { testRedis } from '../helpers/redis.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/bounces');
const t = testRedis('bounces');
const store = createSubscriberStore({ redis: t.redis, keys: t.keys });

afterAll(() => t.cleanup());

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
  });

  it('a dry run counts and changes nothing', async () => {
    const r = await importBounces({ store }, FIXTURES, { dryRun: true });
    expect(r.bounced).toBe(3);
    expect((await store.getByEmail('gone@example.net'))?.status).toBe('confirmed');
    expect(await store.isSuppressed('gone@example.net')).toBe(false);
  });

  it('marks permanent bounces bounced and complaints complained, and suppresses them', async () => {
    const r = await importBounces({ store }, FIXTURES);
    expect(r).toMatchObject({
      messages: 6 + 4,
      bounced: 3, // gone, alice, henry
      complained: 3, // erin, frank, ivy
      temporary: 3, // slow, carol, jack
      otherIgnored: 1, // dave: delivered
      unknown: 1, // bob: no subscriber
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
    // An unknown address is suppressed all the same: it cannot be added later.
    expect(await store.isSuppressed('bob@example.com')).toBe(true);
    const counts = await store.counts();
    expect(counts).toMatchObject({ confirmed: 3, bounced: 3, complained: 3, unsubscribed: 0 });
  });

  it('a later import of subscribers does not revive a bounced or complained address', async () => {
    const again = await store.addMany(
      ['gone@example.net', 'ERIN@hotmail.example', 'bob@example.com', 'new@example.com'].map(
        (email) => ({
          email,
          status: 'confirmed' as const,
        }),
      ),
    );
    expect(again.items.map((i) => i.outcome)).toEqual([
      'suppressed',
      'suppressed',
      'suppressed',
      'created',
    ]);
    expect((await store.getByEmail('gone@example.net'))?.status).toBe('bounced');
    expect((await store.getByEmail('Erin@hotmail.example'))?.status).toBe('complained');
    expect(await store.getByEmail('bob@example.com')).toBeUndefined();
    await expect(
      store.add({ email: 'bob@example.com', status: 'confirmed' }),
    ).rejects.toMatchObject({
      code: 'SUBSCRIBER_SUPPRESSED',
    });
  });

  it('importing the same reports again changes nothing', async () => {
    const before = await store.counts();
    const r = await importBounces({ store }, FIXTURES);
    expect(r.bounced).toBe(3);
    expect(await store.counts()).toEqual(before);
  });
});

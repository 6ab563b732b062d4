import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from '../../src/subscribers/subscriber.js';
import { deletePrefix, testRedis } from '../helpers/redis.js';

const t = testRedis('subscriber-store');
const { redis, keys } = t;
const store = createSubscriberStore({ redis, keys });

beforeEach(() => deletePrefix(redis, t.prefix));
afterAll(() => t.cleanup());

/** What the zsets say each id's status is: every id must be in exactly one. */
async function zsetStatuses(): Promise<Map<number, SubscriberStatus[]>> {
  const out = new Map<number, SubscriberStatus[]>();
  for (const s of SUBSCRIBER_STATUSES) {
    for (const id of await redis.zrange(keys.subscribersByStatus(s), '0', '-1')) {
      out.set(Number(id), [...(out.get(Number(id)) ?? []), s]);
    }
  }
  return out;
}

async function expectConsistent(): Promise<void> {
  const z = await zsetStatuses();
  const seq = await store.maxId();
  for (let id = 1; id <= seq; id++) {
    const s = await store.get(id);
    expect(z.get(id), `id ${id}`).toEqual(s ? [s.status] : undefined);
  }
}

describe('subscriber store', () => {
  it('adds a subscriber and finds it by id and by address (case-insensitively)', async () => {
    const r = await store.add({ email: 'Jane@Example.ORG', name: 'Jane', tz: 'Europe/Paris' });
    expect(r.created).toBe(true);
    expect(r.subscriber).toMatchObject({
      id: 1,
      email: 'Jane@example.org',
      name: 'Jane',
      tz: 'Europe/Paris',
      status: 'pending',
      paused: false,
    });
    expect(r.subscriber.confirmedAt).toBeUndefined();
    expect((await store.getByEmail('jane@EXAMPLE.org'))?.id).toBe(1);
    expect(await store.getByEmail('nobody@example.org')).toBeUndefined();
    expect(await store.get(99)).toBeUndefined();
    // Small hash: short fields, nothing empty stored.
    expect(Object.keys(await redis.hgetall(keys.subscriber(1))).sort()).toEqual([
      'c',
      'e',
      'n',
      's',
      'z',
    ]);
  });

  it('is idempotent for the same address and never downgrades or revives a status', async () => {
    const a = await store.add({ email: 'a@example.org', status: 'confirmed' });
    const again = await store.add({ email: 'A@example.org', status: 'pending' });
    expect(again).toMatchObject({ created: false, updated: false });
    expect(again.subscriber).toMatchObject({
      id: a.subscriber.id,
      status: 'confirmed',
      email: 'a@example.org',
    });

    const p = await store.add({ email: 'p@example.org' });
    const confirmed = await store.add({ email: 'p@example.org', status: 'confirmed', name: 'P' });
    expect(confirmed).toMatchObject({ created: false, updated: true });
    expect(confirmed.subscriber).toMatchObject({
      id: p.subscriber.id,
      status: 'confirmed',
      name: 'P',
    });
    expect(confirmed.subscriber.confirmedAt).toBeDefined();

    await store.setStatus(a.subscriber.id, 'unsubscribed');
    const revived = await store.add({ email: 'a@example.org', status: 'confirmed' });
    expect(revived.subscriber.status).toBe('unsubscribed');
    expect(await store.maxId()).toBe(2);
    await expectConsistent();
  });

  it('rejects invalid input with stable codes', async () => {
    await expect(store.add({ email: 'a@b@example.org' })).rejects.toMatchObject({
      code: 'ADDRESS_INVALID',
    });
    await expect(store.add({ email: 'a@example.org', tz: 'Mars/Base' })).rejects.toMatchObject({
      code: 'SUBSCRIBER_TZ_INVALID',
    });
    await expect(
      store.add({ email: 'a@example.org', status: 'vip' as SubscriberStatus }),
    ).rejects.toMatchObject({ code: 'SUBSCRIBER_STATUS_INVALID' });
    expect(await store.maxId()).toBe(0);
  });

  it('keeps the per-status zsets in step with every status change', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (await store.add({ email: `s${i}@example.org`, status: 'confirmed' })).subscriber.id,
      );
    await store.setStatus(ids[0]!, 'unsubscribed');
    await store.setStatus(ids[1]!, 'bounced');
    await store.setStatus(ids[2]!, 'complained');
    await store.setStatus(ids[3]!, 'pending');
    await store.setStatus(ids[3]!, 'confirmed');
    await store.setStatus(ids[4]!, 'confirmed'); // no-op
    await expectConsistent();
    expect(await store.counts()).toEqual({
      pending: 0,
      confirmed: 2,
      unsubscribed: 1,
      bounced: 1,
      complained: 1,
    });
    // Bounced and complained addresses are suppressed as well.
    expect(await store.isSuppressed('s1@example.org')).toBe(true);
    expect(await store.isSuppressed('s2@example.org')).toBe(true);
    expect(await store.isSuppressed('s0@example.org')).toBe(false);
    await expect(store.setStatus(999, 'confirmed')).rejects.toMatchObject({
      code: 'SUBSCRIBER_NOT_FOUND',
    });
    await expect(store.setStatus(ids[4]!, 'gone' as SubscriberStatus)).rejects.toMatchObject({
      code: 'SUBSCRIBER_STATUS_INVALID',
    });
  });

  it('keeps the zsets right under concurrent status changes', async () => {
    const { subscriber } = await store.add({ email: 'race@example.org', status: 'confirmed' });
    const order: SubscriberStatus[] = [
      'pending',
      'confirmed',
      'unsubscribed',
      'confirmed',
      'pending',
    ];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.setStatus(subscriber.id, order[i % order.length]!),
      ),
    );
    await expectConsistent();
  });

  it('pages ids of one status in id order within (afterId, maxId]', async () => {
    const r = await store.addMany(
      Array.from({ length: 30 }, (_, i) => ({
        email: `u${i}@example.org`,
        status: i % 3 === 0 ? 'pending' : 'confirmed',
      })),
    );
    expect(r.created).toBe(30);
    const confirmed = r.items.filter((_, i) => i % 3 !== 0).map((it) => it.id!);
    expect(await store.pageIds('confirmed', 0, 5)).toEqual(confirmed.slice(0, 5));
    expect(await store.pageIds('confirmed', confirmed[4]!, 5)).toEqual(confirmed.slice(5, 10));
    expect(await store.pageIds('confirmed', 0, 100, 10)).toEqual(
      confirmed.filter((id) => id <= 10),
    );
    expect(await store.pageIds('confirmed', 10, 100, 20)).toEqual(
      confirmed.filter((id) => id > 10 && id <= 20),
    );
    expect(await store.pageIds('confirmed', 30, 100)).toEqual([]);
    expect(await store.pageIds('pending', 0, 100)).toEqual(
      r.items.filter((_, i) => i % 3 === 0).map((it) => it.id),
    );
  });

  it('gives send info for many ids in one call, undefined for gone ones', async () => {
    const a = (await store.add({ email: 'a@example.org', status: 'confirmed' })).subscriber;
    const b = (await store.add({ email: 'b@example.org', status: 'unsubscribed' })).subscriber;
    await store.update(a.id, {
      paused: true,
      tz: 'Asia/Tokyo',
      frequency: 'daily',
      topics: ['Go', 'Redis'],
    });
    // The cursor the ledger's claim moves (src/delivery/ledger.ts).
    await t.redis.hset(t.keys.subscriber(a.id), 'q', '42');
    const info = await store.sendInfo([a.id, 999, b.id]);
    // Zone, frequency and topics: the footer's words (describe-delivery.ts).
    const none = { tz: undefined, frequency: undefined, topics: [] };
    expect(info).toEqual([
      {
        id: a.id,
        email: 'a@example.org',
        status: 'confirmed',
        paused: true,
        tz: 'Asia/Tokyo',
        frequency: 'daily',
        topics: ['Go', 'Redis'],
        cursor: 42,
        confirmedAtMs: expect.any(Number) as number,
      },
      undefined,
      {
        id: b.id,
        email: 'b@example.org',
        status: 'unsubscribed',
        paused: false,
        ...none,
        cursor: undefined,
        confirmedAtMs: undefined,
      },
    ]);
    expect(await store.sendInfo([])).toEqual([]);
  });

  it('updates tz, pause, name and consent, and never re-creates a deleted subscriber', async () => {
    const { subscriber } = await store.add({
      email: 'u@example.org',
      name: 'U',
      tz: 'Europe/Paris',
    });
    await store.update(subscriber.id, {
      tz: 'America/New_York',
      paused: true,
      name: 'New\r\nBcc: x',
    });
    expect(await store.get(subscriber.id)).toMatchObject({
      tz: 'America/New_York',
      paused: true,
      name: 'New Bcc: x',
    });
    await store.update(subscriber.id, {
      tz: null,
      paused: false,
      consent: { at: new Date('2025-01-02T03:04:05Z'), ip: '192.0.2.1' },
    });
    const s = await store.get(subscriber.id);
    expect(s).toMatchObject({
      tz: undefined,
      paused: false,
      consent: { at: '2025-01-02T03:04:05.000Z', ip: '192.0.2.1' },
    });
    await store.update(subscriber.id, { frequency: 'daily', topics: ['Go', 'Redis'] });
    expect(await store.get(subscriber.id)).toMatchObject({
      frequency: 'daily',
      topics: ['Go', 'Redis'],
    });
    await store.update(subscriber.id, { frequency: null, topics: [] });
    expect(await store.get(subscriber.id)).toMatchObject({ frequency: undefined, topics: [] });
    const withPrefs = await store.add({
      email: 'prefs@example.org',
      frequency: 'monthly',
      topics: ['Go'],
    });
    expect(withPrefs.subscriber).toMatchObject({ frequency: 'monthly', topics: ['Go'] });
    await expect(store.update(subscriber.id, { tz: 'Nowhere/Land' })).rejects.toMatchObject({
      code: 'SUBSCRIBER_TZ_INVALID',
    });
    await store.remove(subscriber.id);
    await expect(store.update(subscriber.id, { paused: true })).rejects.toMatchObject({
      code: 'SUBSCRIBER_NOT_FOUND',
    });
    expect(await redis.exists(keys.subscriber(subscriber.id))).toBe(0);
  });

  it('erases: nothing left but a hash of the address, and the address is refused afterwards', async () => {
    const { subscriber } = await store.add({
      email: 'Gone@Example.org',
      name: 'Gone',
      status: 'confirmed',
    });
    await store.erase(subscriber.id);
    expect(await store.get(subscriber.id)).toBeUndefined();
    expect(await store.getByEmail('gone@example.org')).toBeUndefined();
    expect(await redis.hlen(keys.subscriberByEmail)).toBe(0);
    await expectConsistent();
    // The suppression holds a sha256, never the address.
    const entries = await redis.hgetall(keys.suppressions);
    expect(Object.keys(entries)).toHaveLength(1);
    expect(Object.keys(entries)[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(entries)).not.toMatch(/gone/i);
    expect(await store.isSuppressed('GONE@example.org')).toBe(true);
    await expect(
      store.add({ email: 'gone@example.org', status: 'confirmed' }),
    ).rejects.toMatchObject({ code: 'SUBSCRIBER_SUPPRESSED' });
    const many = await store.addMany([
      { email: 'gone@EXAMPLE.org', status: 'confirmed' },
      { email: 'new@example.org' },
    ]);
    expect(many).toMatchObject({ created: 1, suppressed: 1 });
    expect(await store.getByEmail('gone@example.org')).toBeUndefined();
  });

  it('remove deletes without suppressing; suppress moves a subscriber and blocks the address', async () => {
    const a = (await store.add({ email: 'a@example.org', status: 'confirmed' })).subscriber;
    expect(await store.remove(a.id)).toBe(true);
    expect(await store.remove(a.id)).toBe(false);
    expect((await store.add({ email: 'a@example.org' })).created).toBe(true);

    const c = (await store.add({ email: 'c@example.org', status: 'confirmed' })).subscriber;
    await store.suppress('C@example.org', 'complained');
    expect((await store.get(c.id))?.status).toBe('complained');
    await store.suppress('m@example.org', 'manual'); // not a subscriber: suppressed all the same
    await expect(store.add({ email: 'm@example.org' })).rejects.toMatchObject({
      code: 'SUBSCRIBER_SUPPRESSED',
    });
    expect(await store.unsuppress('m@example.org')).toBe(true);
    expect((await store.add({ email: 'm@example.org' })).created).toBe(true);
    await expectConsistent();
  });

  it('counts per status', async () => {
    await store.addMany([
      { email: 'a@example.org', status: 'confirmed' },
      { email: 'b@example.org', status: 'confirmed' },
      { email: 'c@example.org' },
      { email: 'd@example.org', status: 'unsubscribed' },
    ]);
    expect(await store.counts()).toEqual({
      pending: 1,
      confirmed: 2,
      unsubscribed: 1,
      bounced: 0,
      complained: 0,
    });
  });

  it('adds many: per-item outcomes, duplicates in one call, ids in input order', async () => {
    await store.add({ email: 'old@example.org', status: 'confirmed' });
    const r = await store.addMany([
      { email: 'x@example.org', status: 'confirmed' },
      { email: 'not-an-address' },
      { email: 'X@EXAMPLE.ORG', status: 'confirmed' },
      { email: 'old@example.org', status: 'confirmed' },
      { email: 'y@example.org', tz: 'Not/AZone' },
      { email: 'z@example.org', status: 'bounced' },
    ]);
    expect(r.items.map((i) => i.outcome)).toEqual([
      'created',
      'invalid',
      'unchanged',
      'unchanged',
      'invalid',
      'created',
    ]);
    expect(r.items[1]!.code).toBe('ADDRESS_INVALID');
    expect(r.items[4]!.code).toBe('SUBSCRIBER_TZ_INVALID');
    expect(r.items[2]!.id).toBe(r.items[0]!.id);
    expect(r.items[5]!.id).toBeGreaterThan(r.items[0]!.id!);
    expect(r).toMatchObject({ created: 2, unchanged: 2, invalid: 2, suppressed: 0, updated: 0 });
    expect(await store.isSuppressed('z@example.org')).toBe(true); // imported as bounced
    await expectConsistent();
  });

  it('lists by id page, by status, and by substring search', async () => {
    await store.addMany(
      Array.from({ length: 25 }, (_, i) => ({
        email: `${i % 5 === 0 ? 'Match' : 'other'}${i}@example.org`,
        status: i % 2 === 0 ? 'confirmed' : 'pending',
      })),
    );
    const first = await store.list({ limit: 10 });
    expect(first.subscribers.map((s) => s.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.nextAfterId).toBe(10);
    const last = await store.list({ limit: 10, afterId: 20 });
    expect(last.subscribers.map((s) => s.id)).toEqual([21, 22, 23, 24, 25]);
    expect(last.nextAfterId).toBeUndefined();

    const pending = await store.list({ status: 'pending', limit: 100 });
    expect(pending.subscribers).toHaveLength(12);
    expect(pending.subscribers.every((s) => s.status === 'pending')).toBe(true);

    const found = await store.list({ search: 'match', limit: 100 });
    expect(found.subscribers.map((s) => s.email)).toEqual([
      'Match0@example.org',
      'Match5@example.org',
      'Match10@example.org',
      'Match15@example.org',
      'Match20@example.org',
    ]);
    expect(found.nextCursor).toBeUndefined();
    const foundConfirmed = await store.list({ search: 'MATCH1', status: 'confirmed', limit: 100 });
    expect(foundConfirmed.subscribers.map((s) => s.email)).toEqual(['Match10@example.org']);
    // Glob characters in the search are literal.
    expect((await store.list({ search: '*', limit: 100 })).subscribers).toEqual([]);
  });

  it('iterates everything page by page', async () => {
    await store.addMany(
      Array.from({ length: 23 }, (_, i) => ({
        email: `i${i}@example.org`,
        status: 'confirmed' as const,
      })),
    );
    const pages: number[] = [];
    for await (const page of store.iterate({ pageSize: 10 })) pages.push(page.length);
    expect(pages).toEqual([10, 10, 3]);
  });
});

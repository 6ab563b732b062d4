import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubscriberGroups } from '../../src/subscribers/subscriber-groups.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { testRedis } from '../helpers/redis.js';

/**
 * The group index (src/subscribers/store-scripts.ts) against the truth it stands for: every
 * confirmed subscriber in the one group named by its frequency and zone, and counts equal to
 * the zsets, whatever moved them.
 */

const t = testRedis('groups');
const { redis, keys } = t;
const store = createSubscriberStore({ redis, keys });
const groups = createSubscriberGroups({ redis, keys });

afterAll(() => t.cleanup());

/** The groups as the subscribers' hashes say they should be. */
async function expected(): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for await (const page of store.iterate({ status: 'confirmed' })) {
    for (const s of page) {
      const name = `${s.frequency ?? 'default'}:${s.tz ?? 'default'}`;
      out.set(name, [...(out.get(name) ?? []), s.id]);
    }
  }
  return out;
}

/** The index as stored: each counted group's members, and the counts. */
async function actual() {
  const counts = await groups.counts();
  const members = new Map<string, number[]>();
  for (const name of counts.keys()) members.set(name, await groups.page(name, 0, 100_000, 1e12));
  return { counts: Object.fromEntries(counts), members };
}

async function expectIndexRight() {
  const want = await expected();
  const got = await actual();
  expect(got.members).toEqual(want);
  expect(got.counts).toEqual(Object.fromEntries([...want].map(([g, ids]) => [g, ids.length])));
}

describe('the subscriber group index', () => {
  let ids: number[];
  beforeAll(async () => {
    const r = await store.addMany([
      { email: 'a@example.org', status: 'confirmed', tz: 'Asia/Tokyo' },
      { email: 'b@example.org', status: 'confirmed', tz: 'Europe/Berlin', frequency: 'daily' },
      { email: 'c@example.org', status: 'confirmed' },
      { email: 'd@example.org', status: 'pending', tz: 'Asia/Tokyo' },
      { email: 'e@example.org', status: 'unsubscribed' },
    ]);
    ids = r.items.map((i) => i.id!);
  });

  it('indexes confirmed subscribers as they are added, and only them', async () => {
    expect((await actual()).counts).toEqual({
      'default:Asia/Tokyo': 1,
      'daily:Europe/Berlin': 1,
      'default:default': 1,
    });
    await expectIndexRight();
  });

  it('follows status, frequency and zone changes, removal, suppression and re-import', async () => {
    const [a, b, c, d, e] = ids as [number, number, number, number, number];
    await store.setStatus(d, 'confirmed'); // joins Tokyo
    await expectIndexRight();
    await store.update(a, { tz: 'America/Los_Angeles' }); // Tokyo -> LA
    await store.update(b, { frequency: null }); // daily -> default, still Berlin
    await store.update(c, { frequency: 'monthly', tz: 'Asia/Tokyo', name: 'C' });
    await expectIndexRight();
    await store.update(a, { paused: true, name: 'paused stays indexed' });
    await store.setStatus(b, 'unsubscribed');
    await store.setStatus(b, 'unsubscribed'); // twice: counted once
    await expectIndexRight();
    await store.suppress('c@example.org', 'complained');
    await store.remove(d);
    await store.setStatus(e, 'confirmed');
    await expectIndexRight();
    // An import that fills in a zone moves a confirmed subscriber; one that changes nothing, nothing.
    await store.addMany([
      { email: 'e@example.org', status: 'confirmed', tz: 'Europe/Berlin' },
      { email: 'e@example.org', status: 'confirmed', tz: 'Asia/Tokyo' },
      { email: 'f@example.org', status: 'confirmed', frequency: 'weekly' },
    ]);
    await expectIndexRight();
    expect((await actual()).counts).toEqual({
      'default:America/Los_Angeles': 1,
      'default:Europe/Berlin': 1,
      'weekly:default': 1,
    });
    await store.erase((await store.getByEmail('a@example.org'))!.id);
    await expectIndexRight();
  });

  it('stays right under many concurrent random changes', async () => {
    const r = await store.addMany(
      Array.from({ length: 200 }, (_, i) => ({
        email: `m${i}@example.net`,
        status: 'confirmed' as const,
      })),
    );
    const many = r.items.map((i) => i.id!);
    const zones = ['Asia/Tokyo', 'Europe/Berlin', null];
    const freqs = ['daily', 'weekly', null] as const;
    const statuses = ['confirmed', 'pending', 'unsubscribed', 'confirmed'] as const;
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    await Promise.all(
      Array.from({ length: 600 }, () => {
        const id = many[rnd(many.length)]!;
        switch (rnd(3)) {
          case 0:
            return store.update(id, { tz: zones[rnd(3)]! });
          case 1:
            return store.update(id, { frequency: freqs[rnd(3)]! });
          default:
            return store.setStatus(id, statuses[rnd(4)]!);
        }
      }),
    );
    await expectIndexRight();
  });

  it('the start-up migration indexes what an earlier version stored, once', async () => {
    // An earlier version's data: confirmed subscribers and no index.
    for (const k of (await groups.counts()).keys()) await redis.del(keys.subscriberGroup(k));
    await redis.del(keys.subscriberGroups);
    const want = await expected();
    const total = [...want.values()].reduce((n, v) => n + v.length, 0);
    expect(await groups.migrate(7)).toBe(total);
    await expectIndexRight();
    expect(await groups.migrate(7)).toBe(0); // done: the flag skips the walk
    await redis.hdel(keys.state, 'groupIndexV1');
    expect(await groups.migrate(7)).toBe(0); // walked again: nothing added, nothing counted twice
    await expectIndexRight();
  });
});

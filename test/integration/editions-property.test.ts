import { afterAll, describe, expect, it } from 'vitest';
import type { Frequency } from '../../src/digests/frequency.js';
import type { Post } from '../../src/feeds/post.js';
import { editionHarness, type EditionHarness } from '../helpers/editions.js';

/*
 * A simulated year, driven through the real build and send paths (real Redis, a real SMTP
 * sink) with a clock the test sets: posts arrive at random (some an old backlog that must never
 * go out), subscribers change frequency, topics and zone at random, and three zones send each
 * edition at 09:00, 12:00 and 15:00. Then every subscriber must have received every fresh post
 * of their topics exactly once, and nothing twice.
 */

const SEED = Number(process.env.PROPERTY_SEED ?? 20261207);
const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T09:00:00Z');
const DAYS = 365;
/** Days without posts or changes at the end, so every subscriber's last edition goes out. */
const FLUSH_DAYS = 33;
const FREQS: Frequency[] = ['daily', 'weekly', 'monthly'];
const TOPIC_SETS = [[], ['A'], ['B'], ['A', 'B']];

/** mulberry32: a small seeded generator, so a failure can be replayed with PROPERTY_SEED. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sim {
  id: number;
  email: string;
  frequency: Frequency;
  topics: string[];
  zone: number;
  /** Every topic set held from the start, with when it began. */
  topicHistory: { from: number; topics: string[] }[];
}

let h: EditionHarness;
afterAll(() => h?.close());

describe('a simulated year of editions', () => {
  it(
    'gives every subscriber every fresh post of their topics exactly once',
    { timeout: 300_000 },
    async () => {
      const rand = rng(SEED);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      h = await editionHarness('ed-year', {
        plain: true,
        start: new Date(T0).toISOString(),
        env: { DIGEST_MAX_POSTS: '100' },
      });
      h.topics.push(
        { name: 'A', feeds: [], categories: ['a'] },
        { name: 'B', feeds: ['https://b.example/feed'], categories: [] },
      );
      const subs: Sim[] = [];
      for (let i = 0; i < 10; i++) {
        const s = { frequency: pick(FREQS), topics: [...pick(TOPIC_SETS)], zone: pick([0, 1, 2]) };
        const email = `r${i}@example.org`;
        const { subscriber } = await h.subscribers.add({
          email,
          status: 'confirmed',
          frequency: s.frequency,
          topics: s.topics,
        });
        // Confirmed when the year starts (the store stamps its own clock's time).
        await h.t.redis.hset(h.t.keys.subscriber(subscriber.id), 'k', String(T0));
        subs.push({
          id: subscriber.id,
          email,
          ...s,
          topicHistory: [{ from: T0, topics: s.topics }],
        });
      }
      const posts: { post: Post; fresh: boolean }[] = [];
      let n = 0;

      async function arrive(at: number, early: boolean) {
        h.at(new Date(at).toISOString());
        const stale = !early && rand() < 0.06;
        // Published up to 36 h before it arrives (none in the first days: see the README's
        // rule for a frequency's first edition), or a month before: an old backlog.
        const ageMs = stale ? 30 * DAY : early ? 0 : Math.min(rand() * 36 * HOUR, at - T0);
        const kind = rand();
        const post = await h.post(`p${n++}`, {
          ageMs,
          ...(kind < 0.35 ? { categories: ['a'] } : {}),
          ...(kind > 0.6 ? { feed: 'https://b.example/feed' } : {}),
        });
        posts.push({ post, fresh: !stale });
      }

      const changes = { frequency: 0, topics: 0, zone: 0 };
      /** A change of frequency, topics or zone, at any time (before a first digest too). */
      async function change(at: number) {
        const s = pick(subs);
        const what = pick(['frequency', 'topics', 'zone'] as const);
        h.at(new Date(at).toISOString());
        changes[what]++;
        if (what === 'frequency') {
          s.frequency = pick(FREQS);
          await h.subscribers.update(s.id, { frequency: s.frequency });
        } else if (what === 'topics') {
          s.topics = [...pick(TOPIC_SETS)];
          s.topicHistory.push({ from: at, topics: s.topics });
          await h.subscribers.update(s.id, { topics: s.topics });
        } else s.zone = pick([0, 1, 2]);
      }

      async function events(at: number, quiet: boolean, early: boolean) {
        if (quiet) return;
        if (rand() < 0.25 || (early && n === 0)) await arrive(at, early);
        if (rand() < 0.1) await change(at + 60_000);
      }

      for (let d = 0; d < DAYS + FLUSH_DAYS; d++) {
        const day = T0 + d * DAY;
        const date = new Date(day).toISOString().slice(0, 10);
        const quiet = d >= DAYS;
        const early = d < 3;
        const due = [
          ...(date.endsWith('-01') ? [`monthly/${date}`] : []),
          ...(new Date(day).getUTCDay() === 1 ? [`weekly/${date}`] : []),
          `daily/${date}`,
        ];
        h.at(new Date(day).toISOString());
        const built: string[] = [];
        for (const id of due) if ((await h.build(id)).status === 'built') built.push(id);
        for (const zone of [0, 1, 2]) {
          h.at(new Date(day + zone * 3 * HOUR).toISOString());
          const inZone = new Set(subs.filter((s) => s.zone === zone).map((s) => s.id));
          for (const id of built) await h.send(id, (sid) => inZone.has(sid));
          await events(day + (zone * 3 + 1) * HOUR, quiet, early);
        }
        await events(day + 12 * HOUR, quiet, early);
        await events(day + 20 * HOUR, quiet, early);
        // Anyone whose zone moved to one already past gets nothing from this edition: their
        // cursor stays, so its posts come in their next one.
      }

      const received = h.received();
      const fresh = posts.filter((p) => p.fresh).map((p) => p.post);
      const byId = new Map(posts.map((p) => [p.post.id, p]));
      let checked = 0;
      for (const s of subs) {
        const counts = new Map<string, number>();
        for (const m of received.get(s.email) ?? [])
          for (const id of m) counts.set(id, (counts.get(id) ?? 0) + 1);
        for (const [id, c] of counts) {
          expect(c, `${s.email} got ${id} ${c} times (seed ${SEED})`).toBe(1);
          expect(byId.get(id)?.fresh, `${s.email} got stale ${id}`).toBe(true);
        }
        for (const p of fresh) {
          const arrived = Date.parse(p.firstSeenAt);
          // The topic sets in force from the post's arrival to the end.
          const held = s.topicHistory.filter(
            (t, i) => (s.topicHistory[i + 1]?.from ?? Infinity) > arrived,
          );
          const inTopic = (topics: string[]) =>
            topics.length === 0 ||
            (topics.includes('A') && (p.categories ?? []).includes('a')) ||
            (topics.includes('B') && p.feed === 'https://b.example/feed');
          if (held.every((t) => inTopic(t.topics))) {
            expect(counts.get(p.id), `${s.email} never got ${p.id} (seed ${SEED})`).toBe(1);
            checked++;
          } else if (held.every((t) => !inTopic(t.topics)))
            expect(counts.get(p.id), `${s.email} got ${p.id} off topic`).toBeUndefined();
        }
      }
      // The property had something to bite on: most (subscriber, post) pairs were decided.
      expect(fresh.length).toBeGreaterThan(150);
      expect(Math.min(changes.frequency, changes.topics, changes.zone)).toBeGreaterThan(10);
      expect(checked).toBeGreaterThan(fresh.length * 1.5);
      console.log(
        `[property, seed ${SEED}] ${posts.length} posts (${posts.length - fresh.length} stale), ` +
          `${h.sink.messages.length} messages, ${checked} (subscriber, post) pairs each received once; ` +
          `changes: ${JSON.stringify(changes)}`,
      );
    },
  );
});

/**
 * What the bench stores before it sends, through the stores' own functions (so every key and
 * index the app keeps is made as the app makes it, the fan-out group index included):
 *
 * - the plain row: 20 posts in the weekly window of the edition, N confirmed subscribers;
 * - the scale scenario: posts in three buckets (the daily window, the rest of the weekly one,
 *   the rest of the monthly one) carrying categories, T topics over those categories, and N
 *   confirmed subscribers spread over zones, frequencies and 0..2 topics by a fixed layout
 *   (`readerOf`), from which the bench counts what it expects independently of the app.
 */
import type { Frequency } from '../src/digests/frequency.js';
import { MANUAL_FEED } from '../src/feeds/post-store.js';
import type { AddInput } from '../src/subscribers/subscriber-store.js';
import type { Services } from '../src/services.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Subscribers per addMany call (it runs 1 000 per Lua call, a few in flight). */
const CHUNK = 10_000;
/** Posts per bucket of the scale scenario. */
const PER_BUCKET = 20;

export function lorem(words: number, seed: number): string {
  const vocab =
    'digest weekly post feed reader email server queue redis worker build render window subscriber ledger claim send batch pool connection template summary archive'.split(
      ' ',
    );
  return Array.from({ length: words }, (_, i) => vocab[(seed * 7 + i * 13) % vocab.length]).join(
    ' ',
  );
}

export const readerEmail = (i: number) => `reader${i}@bench.example.org`;

async function addSubscribers(
  services: Services,
  count: number,
  make: (i: number) => AddInput,
): Promise<void> {
  for (let i = 0; i < count; i += CHUNK) {
    const n = Math.min(CHUNK, count - i);
    const r = await services.subscribers.addMany(Array.from({ length: n }, (_, j) => make(i + j)));
    if (r.created !== n) throw new Error(`seeding: ${r.created} of ${n} subscribers created`);
  }
}

/**
 * The plain row: 20 posts published in the weekly window that ends at `sendAt` (from 3 hours
 * after its start, 7 hours apart), and `count` confirmed subscribers with the defaults.
 */
export async function seedPlain(services: Services, count: number, sendAt: Date): Promise<void> {
  const windowStart = sendAt.getTime() - 7 * DAY;
  for (let i = 0; i < 20; i++) {
    await services.posts.addManual(
      {
        title: `Post ${i + 1}: ${lorem(8, i)}`,
        url: `https://blog.example.com/weekly/post-${i + 1}`,
        date: new Date(windowStart + 3 * HOUR + i * 7 * HOUR),
        summary: lorem(45, i),
      },
      new Date(),
    );
  }
  await addSubscribers(services, count, (i) => ({
    email: readerEmail(i),
    status: 'confirmed',
  }));
}

/** How the scale scenario spreads its readers. */
export interface ScaleLayout {
  subscribers: number;
  zones: readonly string[];
  frequencies: readonly Frequency[];
  /** Topic names; combos are every choice of 0, 1 or 2 of them. */
  topics: readonly string[];
}

export interface SeededPost {
  url: string;
  publishedMs: number;
  categories: string[];
  /** 0: in the daily window; 1: in the weekly window only; 2: in the monthly window only. */
  bucket: 0 | 1 | 2;
}

export const topicNames = (count: number) =>
  Array.from({ length: count }, (_, i) => `topic-${i + 1}`);
const categoryOf = (topic: string) => topic.replace('topic-', 'cat-');

/** Every choice of 0, 1 or 2 topics: 1 + T + T(T-1)/2 combos. */
export function topicCombos(topics: readonly string[]): string[][] {
  const out: string[][] = [[]];
  for (const t of topics) out.push([t]);
  for (let a = 0; a < topics.length; a++)
    for (let b = a + 1; b < topics.length; b++) out.push([topics[a]!, topics[b]!]);
  return out;
}

/** Reader `i`'s zone, frequency and topic combo: strides chosen so that every mix occurs. */
export function readerOf(layout: ScaleLayout, combos: number, i: number) {
  const z = layout.zones.length;
  const f = layout.frequencies.length;
  return {
    zone: layout.zones[i % z]!,
    frequency: layout.frequencies[Math.floor(i / z) % f]!,
    combo: Math.floor(i / (z * f)) % combos,
  };
}

/**
 * The scale scenario's posts, relative to the editions' send time (09:00 UTC of their date):
 * bucket 0 within the daily window (the 23 hours before), bucket 1 in the week before that,
 * bucket 2 between 27 and 8 days before (inside the month since the previous 1st). Each
 * carries one topic's category, every third one a second.
 */
export function scalePosts(sendAt: Date, topics: readonly string[]): SeededPost[] {
  const at = sendAt.getTime();
  const starts = [at - 23 * HOUR, at - 167 * HOUR, at - 27 * DAY];
  const steps = [66 * 60_000, 7 * HOUR, DAY];
  const posts: SeededPost[] = [];
  for (const bucket of [0, 1, 2] as const) {
    for (let k = 0; k < PER_BUCKET; k++) {
      const n = posts.length;
      const categories =
        topics.length === 0
          ? []
          : [
              ...new Set([
                categoryOf(topics[n % topics.length]!),
                ...(n % 3 === 0 ? [categoryOf(topics[(n + 2) % topics.length]!)] : []),
              ]),
            ];
      posts.push({
        url: `https://blog.example.com/scale/${bucket}/post-${k + 1}`,
        publishedMs: starts[bucket]! + k * steps[bucket]!,
        categories,
        bucket,
      });
    }
  }
  return posts;
}

/** Stores the scale scenario: posts (with categories), topics over them, then the readers. */
export async function seedScale(
  services: Services,
  layout: ScaleLayout,
  posts: readonly SeededPost[],
): Promise<void> {
  const now = new Date();
  for (const [n, p] of posts.entries()) {
    await services.posts.upsert(
      {
        url: p.url,
        title: `Post ${n + 1}: ${lorem(8, n)}`,
        summary: lorem(45, n),
        publishedAt: new Date(p.publishedMs),
        categories: p.categories,
      },
      MANUAL_FEED,
      now,
    );
  }
  for (const name of layout.topics)
    await services.topics.add({ name, categories: [categoryOf(name)] });
  const combos = topicCombos(layout.topics);
  await addSubscribers(services, layout.subscribers, (i) => {
    const r = readerOf(layout, combos.length, i);
    return {
      email: readerEmail(i),
      status: 'confirmed',
      tz: r.zone,
      frequency: r.frequency,
      topics: combos[r.combo]!,
    };
  });
}

/** Which buckets an edition of `frequency` carries (its window reaches back that far). */
const BUCKETS: Record<Frequency, number> = { daily: 0, weekly: 1, monthly: 2 };

/**
 * What each edition should send, counted from the seeded data alone (not from the app): per
 * frequency, the readers who get a message (a non-empty post set; DIGEST_MIN_POSTS is 1) and
 * the distinct post sets among them (newest first, `maxPosts` shown, the rest counted).
 */
export function expectedEditions(
  layout: ScaleLayout,
  posts: readonly SeededPost[],
  maxPosts: number,
): Map<Frequency, { messages: number; rolled: number; distinctSets: number }> {
  const combos = topicCombos(layout.topics);
  const readers = new Map<Frequency, number[]>(
    layout.frequencies.map((f) => [f, new Array<number>(combos.length).fill(0)]),
  );
  for (let i = 0; i < layout.subscribers; i++) {
    const r = readerOf(layout, combos.length, i);
    readers.get(r.frequency)![r.combo]!++;
  }
  const out = new Map<Frequency, { messages: number; rolled: number; distinctSets: number }>();
  for (const f of layout.frequencies) {
    const sets = new Set<string>();
    let messages = 0;
    let rolled = 0;
    combos.forEach((combo, c) => {
      const n = readers.get(f)![c]!;
      if (n === 0) return;
      const cats = combo.map(categoryOf);
      const chosen = posts
        .filter((p) => p.bucket <= BUCKETS[f])
        .filter((p) => cats.length === 0 || p.categories.some((x) => cats.includes(x)))
        .sort((a, b) => b.publishedMs - a.publishedMs);
      if (chosen.length === 0) {
        rolled += n;
        return;
      }
      messages += n;
      const shown = chosen.slice(0, maxPosts).map((p) => p.url);
      sets.add(`${shown.join(',')}+${chosen.length - shown.length}`);
    });
    out.set(f, { messages, rolled, distinctSets: sets.size });
  }
  return out;
}

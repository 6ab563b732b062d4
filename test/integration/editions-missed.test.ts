import { afterEach, describe, expect, it } from 'vitest';
import type { Post } from '../../src/feeds/post.js';
import { editionHarness, type EditionHarness } from '../helpers/editions.js';

const H = 3_600_000;

let h: EditionHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The posts (by slug) each message to `email` carried, in order. */
function got(h: EditionHarness, posts: Post[], email: string): string[][] {
  const byUrl = new Map(posts.map((p) => [p.url, p]));
  const slug = new Map(posts.map((p) => [p.id, p.url.split('/').pop()!]));
  return (h.received(byUrl).get(email) ?? []).map((m) => m.map((id) => slug.get(id)!).sort());
}

async function reader(h: EditionHarness, email: string, extra: object = {}) {
  return (await h.subscribers.add({ email, status: 'confirmed', ...extra })).subscriber.id;
}

/** Builds `id` at `iso` (its send instant) and sends every recipient. */
async function edition(h: EditionHarness, id: string, iso: string) {
  h.at(iso);
  const r = await h.build(id);
  await h.send(id);
  return r;
}

/**
 * The build job of a slot due at `dueIso`, run now (the clock the test set): as the scheduler
 * enqueues it when a process comes back, and sends it when it is built.
 */
async function scheduled(h: EditionHarness, id: string, dueIso: string) {
  const r = await h.build(id, { trigger: 'schedule', scheduledAt: new Date(dueIso) });
  await h.send(id);
  return r;
}

const MISSED = { status: 'skipped', reason: 'missed: every process was down' };

// README guarantee 3 ("none is skipped") and 10 ("takes no post"): an edition skipped because
// every process was down past the catch-up limit leaves its posts to the next one.
describe('an edition missed while every process was down', () => {
  it('is a first edition: the next one carries its posts and its own, each once', async () => {
    h = await editionHarness('ed-missed-first');
    await reader(h, 'w@example.org');
    const posts: Post[] = [];
    h.at('2026-11-04T10:00:00Z');
    posts.push(await h.post('week1'));
    // Down from 8 November to 10 November 10:00: the post of the 8th arrives when ingest
    // runs again, and the slot of the 9th, 25 hours late, is skipped.
    h.at('2026-11-10T10:00:00Z');
    posts.push(await h.post('week1-late', { ageMs: 46 * H }));
    expect(await scheduled(h, 'weekly/2026-11-09', '2026-11-09T09:00:00Z')).toMatchObject(MISSED);
    h.at('2026-11-11T10:00:00Z');
    posts.push(await h.post('week2'));
    await edition(h, 'weekly/2026-11-16', '2026-11-16T09:00:00Z');
    h.at('2026-11-17T10:00:00Z');
    posts.push(await h.post('week3'));
    await edition(h, 'weekly/2026-11-23', '2026-11-23T09:00:00Z');

    expect(got(h, posts, 'w@example.org')).toEqual([['week1', 'week1-late', 'week2'], ['week3']]);
  });

  it('follows a built one: the next one carries its posts and its own, each once', async () => {
    h = await editionHarness('ed-missed-weekly');
    await reader(h, 'old@example.org');
    const posts: Post[] = [];
    h.at('2026-11-04T10:00:00Z');
    posts.push(await h.post('week0'));
    await edition(h, 'weekly/2026-11-09', '2026-11-09T09:00:00Z');
    // Confirmed after that edition: no cursor yet.
    h.at('2026-11-10T10:00:00Z');
    await reader(h, 'new@example.org');
    h.at('2026-11-12T10:00:00Z');
    posts.push(await h.post('week1'));
    h.at('2026-11-17T10:00:00Z');
    posts.push(await h.post('week1-late', { ageMs: 46 * H }));
    expect(await scheduled(h, 'weekly/2026-11-16', '2026-11-16T09:00:00Z')).toMatchObject(MISSED);
    h.at('2026-11-18T10:00:00Z');
    posts.push(await h.post('week2'));
    await edition(h, 'weekly/2026-11-23', '2026-11-23T09:00:00Z');

    const both = ['week1', 'week1-late', 'week2'];
    expect(got(h, posts, 'old@example.org')).toEqual([['week0'], both]);
    expect(got(h, posts, 'new@example.org')).toEqual([both]);
  });

  it('is one of more than ten daily editions missed in a row: none of their posts is lost', async () => {
    h = await editionHarness('ed-missed-daily');
    await reader(h, 'd@example.org', { frequency: 'daily' });
    const posts: Post[] = [];
    h.at('2026-11-01T10:00:00Z');
    posts.push(await h.post('day0'));
    await edition(h, 'daily/2026-11-02', '2026-11-02T09:00:00Z');
    h.at('2026-11-02T09:30:00Z');
    await reader(h, 'n@example.org', { frequency: 'daily' });
    // Down from 2 November 10:00 to 14 November 12:00: a post of each day arrives then.
    h.at('2026-11-14T12:00:00Z');
    const now = h.now().getTime();
    for (let day = 2; day <= 13; day++) {
      const published = Date.parse(`2026-11-${String(day).padStart(2, '0')}T12:00:00Z`);
      posts.push(await h.post(`day${day}`, { ageMs: now - published }));
    }
    // The slots of the 3rd to the 13th are more than 24 hours late; the 14th's is caught up.
    for (let day = 3; day <= 13; day++) {
      const date = `2026-11-${String(day).padStart(2, '0')}`;
      expect(await scheduled(h, `daily/${date}`, `${date}T09:00:00Z`)).toMatchObject(MISSED);
    }
    expect(await scheduled(h, 'daily/2026-11-14', '2026-11-14T09:00:00Z')).toMatchObject({
      status: 'built',
    });

    const missed = posts.slice(1).map((p) => p.url.split('/').pop()!);
    expect(got(h, posts, 'd@example.org')).toEqual([['day0'], missed.sort()]);
    expect(got(h, posts, 'n@example.org')).toEqual([missed]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { Post } from '../../src/feeds/post.js';
import {
  addReader,
  arrives,
  sendEdition,
  slugsTo,
  editionHarness,
  type EditionHarness,
} from '../helpers/editions.js';

const H = 3_600_000;

let h: EditionHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

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
    await addReader(h, 'w@example.org');
    const posts: Post[] = [];
    await arrives(h, posts, '2026-11-04T10:00:00Z', 'week1');
    // Down from 8 November to 10 November 10:00: the post of the 8th arrives when ingest
    // runs again, and the slot of the 9th, 25 hours late, is skipped.
    await arrives(h, posts, '2026-11-10T10:00:00Z', 'week1-late', { ageMs: 46 * H });
    expect(await scheduled(h, 'weekly/2026-11-09', '2026-11-09T09:00:00Z')).toMatchObject(MISSED);
    await arrives(h, posts, '2026-11-11T10:00:00Z', 'week2');
    await sendEdition(h, 'weekly/2026-11-16', '2026-11-16T09:00:00Z');
    await arrives(h, posts, '2026-11-17T10:00:00Z', 'week3');
    await sendEdition(h, 'weekly/2026-11-23', '2026-11-23T09:00:00Z');

    expect(slugsTo(h, posts, 'w@example.org')).toEqual([
      ['week1', 'week1-late', 'week2'],
      ['week3'],
    ]);
  });

  it('follows a built one: the next one carries its posts and its own, each once', async () => {
    h = await editionHarness('ed-missed-weekly');
    await addReader(h, 'old@example.org');
    const posts: Post[] = [];
    await arrives(h, posts, '2026-11-04T10:00:00Z', 'week0');
    await sendEdition(h, 'weekly/2026-11-09', '2026-11-09T09:00:00Z');
    // Confirmed after that edition: no cursor yet.
    h.at('2026-11-10T10:00:00Z');
    await addReader(h, 'new@example.org');
    await arrives(h, posts, '2026-11-12T10:00:00Z', 'week1');
    await arrives(h, posts, '2026-11-17T10:00:00Z', 'week1-late', { ageMs: 46 * H });
    expect(await scheduled(h, 'weekly/2026-11-16', '2026-11-16T09:00:00Z')).toMatchObject(MISSED);
    await arrives(h, posts, '2026-11-18T10:00:00Z', 'week2');
    await sendEdition(h, 'weekly/2026-11-23', '2026-11-23T09:00:00Z');

    const both = ['week1', 'week1-late', 'week2'];
    expect(slugsTo(h, posts, 'old@example.org')).toEqual([['week0'], both]);
    expect(slugsTo(h, posts, 'new@example.org')).toEqual([both]);
  });

  it('is one of more than ten daily editions missed in a row: none of their posts is lost', async () => {
    h = await editionHarness('ed-missed-daily');
    await addReader(h, 'd@example.org', { frequency: 'daily' });
    const posts: Post[] = [];
    await arrives(h, posts, '2026-11-01T10:00:00Z', 'day0');
    await sendEdition(h, 'daily/2026-11-02', '2026-11-02T09:00:00Z');
    h.at('2026-11-02T09:30:00Z');
    await addReader(h, 'n@example.org', { frequency: 'daily' });
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
    expect(slugsTo(h, posts, 'd@example.org')).toEqual([['day0'], missed.sort()]);
    expect(slugsTo(h, posts, 'n@example.org')).toEqual([missed]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { migrateLegacyDigests } from '../../src/digests/legacy-editions.js';
import { createLogger } from '../../src/log.js';
import type { Post } from '../../src/feeds/post.js';
import {
  addReader,
  arrives,
  sendEdition,
  slugsTo,
  editionHarness,
  type EditionHarness,
} from '../helpers/editions.js';

let h: EditionHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('editions', () => {
  it('a subscriber switching weekly → daily mid-week gets every post once, none skipped', async () => {
    h = await editionHarness('ed-switch');
    const a = await addReader(h, 'a@example.org'); // weekly: the site default
    await addReader(h, 'b@example.org', { frequency: 'daily' });
    await addReader(h, 'c@example.org', { frequency: 'weekly' });
    const posts: Post[] = [];
    await arrives(h, posts, '2026-11-03T10:00:00Z', 'p1');
    await arrives(h, posts, '2026-11-04T08:00:00Z', 'p2');
    expect((await sendEdition(h, 'daily/2026-11-04', '2026-11-04T09:00:00Z')).status).toBe('built');
    expect((await sendEdition(h, 'daily/2026-11-05', '2026-11-05T09:00:00Z')).status).toBe(
      'nothing',
    );
    await sendEdition(h, 'weekly/2026-11-09', '2026-11-09T09:00:00Z');
    // The common case: one set of posts, one render, however many readers.
    expect((await h.digests.getSummary('weekly/2026-11-09'))!.renders).toBe(1);

    await arrives(h, posts, '2026-11-10T10:00:00Z', 'p3');
    await sendEdition(h, 'daily/2026-11-11', '2026-11-11T09:00:00Z');
    h.at('2026-11-11T12:00:00Z');
    await h.subscribers.update(a, { frequency: 'daily' });
    await arrives(h, posts, '2026-11-11T13:00:00Z', 'p4');
    await sendEdition(h, 'daily/2026-11-12', '2026-11-12T09:00:00Z');
    // a's set (from their weekly cursor) and b's (from yesterday's): two sets, two renders.
    expect((await h.digests.getSummary('daily/2026-11-12'))!.renders).toBe(2);
    await arrives(h, posts, '2026-11-12T10:00:00Z', 'p5');
    await sendEdition(h, 'daily/2026-11-13', '2026-11-13T09:00:00Z');
    await sendEdition(h, 'weekly/2026-11-16', '2026-11-16T09:00:00Z');

    expect(slugsTo(h, posts, 'a@example.org')).toEqual([['p1', 'p2'], ['p3', 'p4'], ['p5']]);
    expect(slugsTo(h, posts, 'b@example.org')).toEqual([['p1', 'p2'], ['p3'], ['p4'], ['p5']]);
    expect(slugsTo(h, posts, 'c@example.org')).toEqual([
      ['p1', 'p2'],
      ['p3', 'p4', 'p5'],
    ]);
    // Had a still been fanned out in the weekly edition (a change after its fan-out), the
    // send path skips them there: not of that frequency at send time.
    expect(await h.ledger.state('weekly/2026-11-16', a)).toBe('k:status');
  });

  it('filters by topics, with one render per distinct set', async () => {
    h = await editionHarness('ed-topics');
    h.topics.push(
      { name: 'Go', feeds: [], categories: ['golang'] },
      { name: 'Redis', feeds: ['https://redis.example/feed'], categories: [] },
    );
    await addReader(h, 'all@example.org');
    await addReader(h, 'go@example.org', { topics: ['Go'] });
    await addReader(h, 'both@example.org', { topics: ['Go', 'Redis'] });
    // A topic the admin removed since: nothing left to filter by, so everything.
    await addReader(h, 'gone@example.org', { topics: ['Removed'] });
    h.at('2026-11-04T10:00:00Z');
    const posts = [
      await h.post('g1', { categories: ['GoLang'] }),
      await h.post('r1', { feed: 'https://redis.example/feed' }),
      await h.post('o1'),
    ];
    await sendEdition(h, 'weekly/2026-11-09', '2026-11-09T09:00:00Z');
    expect(slugsTo(h, posts, 'all@example.org')).toEqual([['g1', 'o1', 'r1']]);
    expect(slugsTo(h, posts, 'go@example.org')).toEqual([['g1']]);
    expect(slugsTo(h, posts, 'both@example.org')).toEqual([['g1', 'r1']]);
    expect(slugsTo(h, posts, 'gone@example.org')).toEqual([['g1', 'o1', 'r1']]);
    const s = (await h.digests.getSummary('weekly/2026-11-09'))!;
    expect(s.renders).toBe(3);
    // (The harness fans out without the slot's recipient count: sent, skipped, rolled count.)
    expect(s.counters).toMatchObject({ sent: 4, skipped: 0, rolled: 0 });
  });

  it('rolls a set under DIGEST_MIN_POSTS over to the next edition, cursor unchanged', async () => {
    h = await editionHarness('ed-roll', { env: { DIGEST_MIN_POSTS: '2' } });
    const s = await addReader(h, 's@example.org');
    h.at('2026-11-04T10:00:00Z');
    const posts = [await h.post('p1')];
    await sendEdition(h, 'weekly/2026-11-09', '2026-11-09T09:00:00Z');
    expect(h.sink.messages).toHaveLength(0);
    expect(await h.ledger.state('weekly/2026-11-09', s)).toBe('o:1');
    expect((await h.digests.getSummary('weekly/2026-11-09'))!.counters).toMatchObject({
      sent: 0,
      rolled: 1,
    });
    await arrives(h, posts, '2026-11-10T10:00:00Z', 'p2');
    await sendEdition(h, 'weekly/2026-11-16', '2026-11-16T09:00:00Z');
    expect(slugsTo(h, posts, 's@example.org')).toEqual([['p1', 'p2']]);
  });

  it('sends nothing to who unsubscribes or pauses between the build and their zone’s send', async () => {
    h = await editionHarness('ed-unsub');
    const early = await addReader(h, 'early@example.org');
    const leaves = await addReader(h, 'leaves@example.org');
    const pauses = await addReader(h, 'pauses@example.org');
    const stays = await addReader(h, 'stays@example.org');
    h.at('2026-11-04T10:00:00Z');
    await h.post('p1');
    h.at('2026-11-09T09:00:00Z');
    await h.build('weekly/2026-11-09');
    await h.send('weekly/2026-11-09', (id) => id === early); // the first zone
    h.at('2026-11-09T12:00:00Z');
    await h.subscribers.setStatus(leaves, 'unsubscribed');
    await h.subscribers.update(pauses, { paused: true });
    await h.send('weekly/2026-11-09'); // a later zone
    expect(h.sink.recipients().sort()).toEqual(['early@example.org', 'stays@example.org']);
    expect((await h.digests.getSummary('weekly/2026-11-09'))!.counters).toMatchObject({
      sent: 2,
      skipped: 2,
    });
    // Their cursors did not move: they have not been covered.
    const infos = await h.subscribers.sendInfo([leaves, pauses, stays]);
    expect(infos.map((i) => i?.cursor)).toEqual([
      undefined,
      undefined,
      (await h.digests.getSummary('weekly/2026-11-09'))!.seqTo,
    ]);
  });

  it('makes a bare-date digest of an earlier version the weekly edition, once, never sent again', async () => {
    h = await editionHarness('ed-legacy');
    const { redis, keys } = h.t;
    const id = await addReader(h, 'old@example.org');
    await redis.hset(keys.digest('2026-11-30'), {
      date: '2026-11-30',
      sendAt: '2026-11-30T09:00:00.000Z',
      windowStart: '2026-11-23T09:00:00.000Z',
      windowEnd: '2026-11-30T09:00:00.000Z',
      status: 'sent',
      subject: 'Old digest',
      html: '<p>old</p>',
      text: 'old',
      postIds: '[]',
      builtAt: '2026-11-30T09:00:01.000Z',
      recipients: 1,
      sent: 1,
      failed: 0,
      skipped: 0,
      fanoutDone: '1',
    });
    await redis.zadd(keys.digests, Date.parse('2026-11-30T09:00:00Z'), '2026-11-30');
    await redis.hset(keys.ledger('2026-11-30'), String(id), 's:250:1');
    const log = createLogger('silent');
    expect(await migrateLegacyDigests({ redis, keys, log })).toBe(1);
    expect(await migrateLegacyDigests({ redis, keys, log })).toBe(0);
    expect(await redis.exists(keys.digest('2026-11-30'), keys.ledger('2026-11-30'))).toBe(0);
    expect(await redis.zrangebyscore(keys.digests, '-inf', '+inf')).toEqual(['weekly/2026-11-30']);
    expect(await redis.zrangebyscore(keys.digestsOf('weekly'), '-inf', '+inf')).toEqual([
      'weekly/2026-11-30',
    ]);
    const s = (await h.digests.getSummary('weekly/2026-11-30'))!;
    expect(s).toMatchObject({ id: 'weekly/2026-11-30', frequency: 'weekly', status: 'sent' });
    expect(await h.ledger.state('weekly/2026-11-30', id)).toBe('s:250:1');
    // Building it again is a no-op: it was sent.
    h.at('2026-11-30T10:00:00Z');
    expect(await h.build('weekly/2026-11-30')).toMatchObject({ status: 'built' });
    await h.send('weekly/2026-11-30');
    expect(h.sink.messages).toHaveLength(0);
  });

  it('a first edition built late carries what arrived after its window, once, and no later post', async () => {
    h = await editionHarness('ed-first-late');
    await addReader(h, 'd@example.org', { frequency: 'daily' });
    await addReader(h, 'w@example.org', { frequency: 'weekly' });
    const posts: Post[] = [];
    await arrives(h, posts, '2026-11-03T10:00:00Z', 'in-window');
    // The worker is down at 09:00 on 4 November: a post is published and arrives at 10:00,
    // after daily/2026-11-04's window ends and before the catch-up builds it at 11:00.
    await arrives(h, posts, '2026-11-04T10:00:00Z', 'between');
    await sendEdition(h, 'daily/2026-11-04', '2026-11-04T11:00:00Z');
    // After the build: the next edition's.
    await arrives(h, posts, '2026-11-04T11:30:00Z', 'after-build');
    await sendEdition(h, 'daily/2026-11-05', '2026-11-05T09:00:00Z');
    // The weekly edition is a first edition too, built on time: its window holds all three.
    await sendEdition(h, 'weekly/2026-11-09', '2026-11-09T09:00:00Z');

    expect(slugsTo(h, posts, 'd@example.org')).toEqual([['between', 'in-window'], ['after-build']]);
    expect(slugsTo(h, posts, 'w@example.org')).toEqual([['after-build', 'between', 'in-window']]);
  });
});

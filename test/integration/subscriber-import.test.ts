import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { exportSubscribersCsv } from '../../src/subscribers/export-csv.js';
import { importSubscribers, type ImportProgress } from '../../src/subscribers/import-csv.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { deletePrefix, testRedis } from '../helpers/redis.js';

const t = testRedis('subscriber-import');
const store = createSubscriberStore({ redis: t.redis, keys: t.keys });
const dir = mkdtempSync(path.join(tmpdir(), 'subscriber-import-'));
/** What rows are checked against: the frequencies a site offers and its topics. */
const choices = {
  frequencies: ['daily', 'weekly', 'monthly'] as const,
  topics: [
    { name: 'Go', feeds: [], categories: ['go'] },
    { name: 'Redis', feeds: [], categories: ['redis'] },
  ],
};

beforeEach(() => deletePrefix(t.redis, t.prefix));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t.cleanup();
});

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

// Line numbers: the header is line 1.
const MIXED = [
  'Email,Name,TimeZone,Status', //                        1
  'ada@example.org,Ada,Europe/London,', //                2
  'not-an-address,Bob,,', //                              3
  'carol@Example.ORG,"Carol, C.",America/New_York,', //   4
  'dave@example.org,Dave,Mars/Olympus,', //               5
  '"eve@example.org","Eve ""E""",,pending', //            6
  '', //                                                  7 (empty: skipped)
  'frank@example.org,Frank,,vip', //                      8
  'a@b@example.org,,,', //                                9
  ',no address,,', //                                     10
  'grace@example.org,"Grace', //                          11
  'Hopper",,unsubscribed', //                             12 (a quoted name over two lines)
  'ada@example.org,Ada again,,', //                       13 (duplicate in the file)
].join('\r\n');

describe('importSubscribers', () => {
  it('imports the valid rows and reports the invalid ones by line number and reason', async () => {
    const r = await importSubscribers({ store, choices }, file('mixed.csv', MIXED));
    expect(r).toMatchObject({
      rows: 10,
      created: 4,
      unchanged: 1,
      updated: 0,
      suppressed: 0,
      invalidCount: 5,
    });
    expect(r.invalid.map((i) => [i.line, i.code])).toEqual([
      [3, 'ADDRESS_INVALID'],
      [5, 'SUBSCRIBER_TZ_INVALID'],
      [8, 'SUBSCRIBER_STATUS_INVALID'],
      [9, 'ADDRESS_INVALID'],
      [10, 'ADDRESS_EMPTY'],
    ]);
    expect(await store.getByEmail('ada@example.org')).toMatchObject({
      name: 'Ada',
      tz: 'Europe/London',
      status: 'confirmed',
    });
    expect(await store.getByEmail('carol@example.org')).toMatchObject({
      email: 'carol@example.org',
      name: 'Carol, C.',
    });
    expect(await store.getByEmail('eve@example.org')).toMatchObject({
      name: 'Eve "E"',
      status: 'pending',
    });
    expect(await store.getByEmail('grace@example.org')).toMatchObject({
      name: 'Grace Hopper',
      status: 'unsubscribed',
    });
    expect(await store.counts()).toMatchObject({ confirmed: 2, pending: 1, unsubscribed: 1 });
  });

  it('changes nothing when the same file is imported again', async () => {
    const p = file('again.csv', MIXED);
    await importSubscribers({ store, choices }, p);
    const before = await t.redis.hgetall(t.keys.subscriber(1));
    const seq = await store.maxId();
    const r = await importSubscribers({ store, choices }, p);
    expect(r).toMatchObject({ created: 0, updated: 0, unchanged: 5, invalidCount: 5 });
    expect(await store.maxId()).toBe(seq);
    expect(await t.redis.hgetall(t.keys.subscriber(1))).toEqual(before);
  });

  it('never revives a suppressed, unsubscribed or bounced address', async () => {
    const erased = (await store.add({ email: 'erased@example.org', status: 'confirmed' }))
      .subscriber;
    await store.erase(erased.id);
    const unsub = (await store.add({ email: 'left@example.org', status: 'unsubscribed' }))
      .subscriber;
    const bounced = (await store.add({ email: 'bounced@example.org', status: 'confirmed' }))
      .subscriber;
    await store.setStatus(bounced.id, 'bounced');
    await store.suppress('complained@example.org', 'complained');

    const r = await importSubscribers(
      { store, choices },
      Readable.from([
        'email,status\n',
        'ERASED@example.org,confirmed\n',
        'left@example.org,confirmed\n',
        'bounced@example.org,\n',
        'complained@example.org,\n',
        'new@example.org,\n',
      ]),
    );
    expect(r).toMatchObject({ created: 1, unchanged: 1, suppressed: 3, invalidCount: 0 });
    expect(await store.getByEmail('erased@example.org')).toBeUndefined();
    expect(await store.getByEmail('complained@example.org')).toBeUndefined();
    expect((await store.get(unsub.id))?.status).toBe('unsubscribed');
    expect((await store.get(bounced.id))?.status).toBe('bounced');
    expect((await store.getByEmail('new@example.org'))?.status).toBe('confirmed');
  });

  it('honours an opt-out row for an existing confirmed subscriber', async () => {
    await store.add({ email: 'a@example.org', status: 'confirmed' });
    const r = await importSubscribers(
      { store, choices },
      Readable.from(['email,status\na@example.org,unsubscribed\n']),
    );
    expect(r).toMatchObject({ updated: 1 });
    expect((await store.getByEmail('a@example.org'))?.status).toBe('unsubscribed');
  });

  it('refuses a file without an email column, naming the problem', async () => {
    await expect(
      importSubscribers({ store, choices }, Readable.from(['name,timezone\nAda,Europe/London\n'])),
    ).rejects.toMatchObject({ code: 'IMPORT_HEADER_INVALID' });
    await expect(
      importSubscribers({ store, choices }, Readable.from(['ada@example.org\nbob@example.org\n'])),
    ).rejects.toMatchObject({ code: 'IMPORT_HEADER_INVALID' });
    expect(await store.maxId()).toBe(0);
  });

  it('reports malformed CSV records and keeps going', async () => {
    const r = await importSubscribers(
      { store, choices },
      Readable.from(['email,name\nok1@example.org,A\n"bad"x@example.org,B\nok2@example.org,C\n']),
    );
    expect(r.created).toBe(2);
    expect(r.invalid.map((i) => i.line)).toEqual([3]);
  });

  it('streams a large file in batches, calling onProgress with rising counts up to the file size', async () => {
    const n = 5000;
    const lines = ['email'];
    for (let i = 0; i < n; i++) lines.push(`bulk${i}@example.org`);
    const p = file('bulk.csv', `${lines.join('\n')}\n`);
    const seen: ImportProgress[] = [];
    const r = await importSubscribers({ store, choices }, p, { onProgress: (x) => seen.push(x) });
    expect(r).toMatchObject({ rows: n, created: n, invalidCount: 0 });
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.every((s, i) => i === 0 || s.rows >= seen[i - 1]!.rows)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ rows: n, created: n });
    expect(seen.at(-1)!.totalBytes).toBeGreaterThan(0);
    expect(seen.at(-1)!.bytes).toBeLessThanOrEqual(seen.at(-1)!.totalBytes!);
    expect(await store.pageIds('confirmed', 0, 3)).toEqual([1, 2, 3]);
  });

  it('export writes CSV that imports back as the same subscribers', async () => {
    await store.addMany([
      { email: 'x@example.org', name: '=cmd|calc', status: 'confirmed', tz: 'Asia/Tokyo' },
      { email: 'y@example.org', name: 'Y, the "second"', status: 'pending' },
    ]);
    let csv = '';
    for await (const chunk of exportSubscribersCsv(store, { pageSize: 1 })) csv += chunk;
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('email,name,timezone,status,frequency,topics,created_at,confirmed_at');
    expect(lines[1]).toMatch(/^x@example\.org,'=cmd\|calc,Asia\/Tokyo,confirmed,,,/);
    expect(lines[2]).toMatch(/^y@example\.org,"Y, the ""second""",,pending,,,/);
    let confirmedOnly = '';
    for await (const chunk of exportSubscribersCsv(store, { status: 'confirmed' }))
      confirmedOnly += chunk;
    expect(confirmedOnly.trim().split('\n')).toHaveLength(2);

    await deletePrefix(t.redis, t.prefix);
    const r = await importSubscribers({ store, choices }, Readable.from([csv]));
    expect(r).toMatchObject({ created: 2, invalidCount: 0 });
    expect(await store.getByEmail('y@example.org')).toMatchObject({
      name: 'Y, the "second"',
      status: 'pending',
    });
  });
});

describe('importSubscribers: frequency and topics columns', () => {
  beforeEach(() => deletePrefix(t.redis, t.prefix));

  it("stores each row's frequency and topics; an unknown one makes only its row invalid, with the reason", async () => {
    const csv = [
      'email,frequency,topics', //                    1
      'ada@example.org,daily,Go;redis', //            2 (topic names compared without case)
      'bob@example.org,,', //                         3 (site default, every post)
      'carol@example.org,hourly,Go', //               4 unknown frequency
      'dave@example.org,monthly,Go;Rust', //          5 unknown topic
      'eve@example.org,Weekly, Redis ; ', //          6 spaces and an empty name are fine
    ].join('\n');
    const r = await importSubscribers({ store, choices }, Readable.from([csv]));
    expect(r).toMatchObject({ created: 3, invalidCount: 2 });
    expect(r.invalid).toEqual([
      {
        line: 4,
        code: 'SUBSCRIBER_FREQUENCY_INVALID',
        reason: 'unknown frequency "hourly": choose daily, weekly, monthly',
      },
      {
        line: 5,
        code: 'SUBSCRIBER_TOPICS_INVALID',
        reason: 'unknown topic "Rust": choose among Go, Redis',
      },
    ]);
    expect(await store.getByEmail('ada@example.org')).toMatchObject({
      frequency: 'daily',
      topics: ['Go', 'Redis'],
    });
    expect(await store.getByEmail('bob@example.org')).toMatchObject({
      frequency: undefined,
      topics: [],
    });
    expect(await store.getByEmail('eve@example.org')).toMatchObject({
      frequency: 'weekly',
      topics: ['Redis'],
    });
    expect(await store.getByEmail('carol@example.org')).toBeUndefined();
    expect(await store.getByEmail('dave@example.org')).toBeUndefined();
  });

  it('a frequency the site does not offer, or a topic on a site without topics, is refused, saying so', async () => {
    const weeklyOnly = { frequencies: ['weekly'] as const, topics: [] };
    const r = await importSubscribers(
      { store, choices: weeklyOnly },
      Readable.from(['email,frequency,topics\na@example.org,daily,\nb@example.org,,Go\n']),
    );
    expect(r.invalid).toEqual([
      {
        line: 2,
        code: 'SUBSCRIBER_FREQUENCY_INVALID',
        reason: 'this site does not offer "daily": choose weekly',
      },
      {
        line: 3,
        code: 'SUBSCRIBER_TOPICS_INVALID',
        reason: 'unknown topic "Go": this site has no topics',
      },
    ]);
  });

  it('export writes frequency and topics (";"-separated) that import back the same', async () => {
    await store.addMany([
      {
        email: 'x@example.org',
        status: 'confirmed',
        frequency: 'monthly',
        topics: ['Go', 'Redis'],
      },
      { email: 'y@example.org', status: 'confirmed' },
    ]);
    let csv = '';
    for await (const chunk of exportSubscribersCsv(store)) csv += chunk;
    const lines = csv.trim().split('\n');
    expect(lines[1]).toMatch(/^x@example\.org,,,confirmed,monthly,Go;Redis,/);
    expect(lines[2]).toMatch(/^y@example\.org,,,confirmed,,,/);
    await deletePrefix(t.redis, t.prefix);
    const r = await importSubscribers({ store, choices }, Readable.from([csv]));
    expect(r).toMatchObject({ created: 2, invalidCount: 0 });
    expect(await store.getByEmail('x@example.org')).toMatchObject({
      frequency: 'monthly',
      topics: ['Go', 'Redis'],
    });
    expect(await store.getByEmail('y@example.org')).toMatchObject({
      frequency: undefined,
      topics: [],
    });
  });
});

describe('importSubscribers: an unclosed quote', () => {
  beforeEach(() => deletePrefix(t.redis, t.prefix));

  it('reports the line where the quote opened and imports every other row', async () => {
    const rows = ['email,name'];
    for (let i = 1; i <= 8; i++)
      rows.push(i === 4 ? `q${i}@example.org,"Open` : `q${i}@example.org,N${i}`);
    const r = await importSubscribers({ store, choices }, file('unclosed.csv', rows.join('\n')));
    expect(r).toMatchObject({ rows: 8, created: 7, invalidCount: 1 });
    // q4 is on line 5 (the header is line 1).
    expect(r.invalid).toEqual([
      { line: 5, code: 'CSV_MALFORMED', reason: expect.stringContaining('never closed') },
    ]);
    expect(await store.getByEmail('q8@example.org')).toMatchObject({ name: 'N8' });
  });
});

describe('importSubscribers: Redis full part-way', () => {
  it('says how many rows were stored and where to resume; a re-run finishes it', async () => {
    const { startRedisServer } = await import('../helpers/redis-server.js');
    const { createKeys } = await import('../../src/redis.js');
    const { Redis } = await import('ioredis');
    const server = await startRedisServer({ appendonly: false });
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    try {
      const full = createSubscriberStore({ redis, keys: createKeys('{full}') });
      const rows = ['email,name'];
      for (let i = 0; i < 8_000; i++) rows.push(`full${i}@example.org,Name ${i} ${'x'.repeat(40)}`);
      const p = file('full.csv', rows.join('\n'));
      const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
      // Room for a few thousand rows, not for 8,000 (a 1,000-row Lua call holds ~600 KB of
      // arguments while it runs).
      await redis.config('SET', 'maxmemory', String(used + 900_000));
      const err = await importSubscribers({ store: full, choices }, p).then(
        () => undefined,
        (e: unknown) => e as import('../../src/subscribers/import-csv.js').ImportInterruptedError,
      );
      expect(err?.code).toBe('IMPORT_INTERRUPTED');
      const stored = err!.summary.created;
      expect(stored).toBeGreaterThan(0);
      expect(stored).toBeLessThan(8_000);
      // Rows before the resume line are all stored, and nothing after it.
      expect(err!.resumeLine).toBe(stored + 2);
      expect(await full.counts()).toMatchObject({ confirmed: stored });
      expect(err!.message).toContain(`${stored} rows before it are stored`);
      expect(err!.message).toContain(`resume from line ${err!.resumeLine}`);

      await redis.config('SET', 'maxmemory', '0');
      const again = await importSubscribers({ store: full, choices }, p);
      expect(again).toMatchObject({ created: 8_000 - stored, unchanged: stored, invalidCount: 0 });
      const resumed = await importSubscribers({ store: full, choices }, p, {
        fromLine: err!.resumeLine,
      });
      expect(resumed).toMatchObject({ rows: 8_000 - stored, created: 0 });
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});

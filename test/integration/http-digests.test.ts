import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editionWindow } from '../../src/digests/edition-window.js';
import type { UpcomingSend } from '../../src/digests/schedule-listing.js';
import { describeNextSend } from '../../src/http/pages/next-sends.js';
import { runCli } from '../helpers/cli.js';
import { ADMIN_TOKEN, adminLogin, httpHarness, type Harness } from './http-setup.js';

// The clock: Wednesday 2 December 2026. The next digest is Monday 2026-12-07.
const NOW = new Date('2026-12-02T10:00:00Z');
let h: Harness;
let admin: Awaited<ReturnType<typeof adminLogin>>;

beforeAll(async () => {
  h = await httpHarness('admin-digests', { now: () => NOW });
  admin = await adminLogin(h);
});
afterAll(async () => h.close());

const page = (url: string) => admin.page(url);
const post = (url: string, fields: Record<string, string>) => admin.post(url, fields);
/** The flash message a POST left for the next page, as that page shows it. */
async function flashAfter(res: Awaited<ReturnType<typeof post>>) {
  const flash = String(res.headers['set-cookie'])
    .split(',')
    .find((c) => c.trim().startsWith('digest_flash'))!;
  return (
    await h.app.inject({
      url: '/admin',
      headers: { cookie: `${admin.cookie}; ${flash.split(';')[0]}` },
    })
  ).body;
}

describe('sending from the dashboard', () => {
  it('says there is nothing to send while the next digest has no posts, and refuses it', async () => {
    const dash = await page('/admin');
    expect(dash.body).toContain('<button type="button" disabled>Nothing to send</button>');
    expect(dash.body).not.toContain('Send now…');
    const confirm = await page('/admin/trigger?date=2026-12-07');
    expect(confirm.body).toContain('There is nothing to send');
    expect(confirm.body).not.toContain('Yes, send it');
    const res = await post('/admin/trigger', { date: '2026-12-07' });
    expect(res.statusCode).toBe(303);
    expect(await flashAfter(res)).toContain('No posts for the digest of 2026-12-07');
    expect(await h.triggered()).toEqual([]);
    expect(await h.digestStore.getSummary('weekly/2026-12-07')).toBeUndefined();
  });

  it('asks again, with the date in words, for a date weeks back', async () => {
    await h.posts.addManual(
      {
        title: 'Old post',
        url: 'https://blog.example/old',
        date: new Date('2026-11-05T10:00:00Z'),
      },
      // Stored the day after it was published: a fresh post (an old backlog never goes out).
      new Date('2026-11-06T10:00:00Z'),
    );
    const confirm = await page('/admin/trigger?date=2026-11-09');
    expect(confirm.body).toContain('This is 3 weeks ago: Monday 9 November 2026.');
    expect(confirm.body).toContain('name="force" value="yes"');
    const refused = await post('/admin/trigger', { date: '2026-11-09' });
    expect(await flashAfter(refused)).toContain('is 3 weeks ago');
    expect(await h.triggered()).toEqual([]);
    const forced = await post('/admin/trigger', { date: '2026-11-09', force: 'yes' });
    expect(await flashAfter(forced)).toContain('2026-11-09 is being built');
    expect(await h.triggered()).toEqual([
      { frequency: 'weekly', date: '2026-11-09', trigger: 'manual', force: true, now: true },
    ]);
    await h.forgetTriggered();
  });

  it('names the SMTP cause when the preflight fails, and queues nothing', async () => {
    await h.posts.addManual(
      {
        title: 'New post',
        url: 'https://blog.example/new',
        date: new Date('2026-12-01T10:00:00Z'),
      },
      NOW,
    );
    expect((await page('/admin')).body).toContain('Send now…');
    // The SMTP server turns every connection away: the preflight's own connection included.
    h.smtp.refuseConnections({ code: 421, message: '4.3.2 Service not available, closing' });
    const res = await post('/admin/trigger', { date: '2026-12-07' });
    const body = await flashAfter(res);
    expect(body).toContain('role="alert"');
    expect(body).toMatch(
      /SMTP check failed: [^<]*421 4\.3\.2 Service not available[^<]*\. Nothing was sent\./,
    );
    expect(await h.triggered()).toEqual([]);
    const api = await h.app.inject({
      method: 'POST',
      url: '/admin/api/digests',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { date: '2026-12-07' },
    });
    expect(api.statusCode).toBe(503);
    expect(api.json().error.code).toBe('SMTP_PREFLIGHT_FAILED');
    h.smtp.refuseConnections(undefined);
  });
});

describe('digests in the dashboard', () => {
  const schedule = {
    crons: { daily: '0 9 * * *', weekly: '0 9 * * 1', monthly: '0 9 1 * *' },
    tz: 'UTC',
  };

  it('shows held and skipped digests with their reason, and /metrics counts them', async () => {
    await h.digestStore.markHeld(
      editionWindow({ frequency: 'weekly', date: '2026-11-30' }, schedule),
      'Greeting never received',
      NOW,
    );
    await h.digestStore.markSkipped(
      editionWindow({ frequency: 'weekly', date: '2026-11-23' }, schedule),
      'no posts',
      NOW,
    );
    const dash = await page('/admin');
    expect(dash.body).toMatch(
      /<td data-label="Status" data-field="status" class="status">held<\/td>/,
    );
    expect(dash.body).toContain(
      '<td data-label="Notes" data-field="note">Greeting never received</td>',
    );
    expect(dash.body).toContain('<td data-label="Notes" data-field="note">no posts</td>');
    const metrics = await h.app.inject({ url: '/metrics' });
    expect(metrics.body).toContain('digest_digests{status="held"} 1');
    expect(metrics.body).toContain('digest_digests{status="skipped"} 1');
  });

  it('offers a retry of temporary failures on a settled digest row', async () => {
    await h.storeDigest('2026-11-16', 'sent');
    await h.redis.hset(
      h.keys.digest('weekly/2026-11-16'),
      'status',
      'sent_with_failures',
      'failed',
      3,
    );
    await h.redis.hset(
      h.keys.digestFailures('weekly/2026-11-16'),
      'temporary:451',
      2,
      'bounce:550',
      1,
    );
    await h.digestStore.noteError('weekly/2026-11-16', 'transient', {
      code: 451,
      message: '451 4.3.0 try later',
      at: NOW.toISOString(),
    });
    const dash = await page('/admin');
    expect(dash.body).toContain('action="/admin/digests/2026-11-16/retry-failed"');
    expect(dash.body).toContain('Retry 2 failed');
    expect(dash.body).toContain('first transient error: 451 4.3.0 try later');
    const res = await post('/admin/digests/2026-11-16/retry-failed', {});
    expect(await flashAfter(res)).toContain('Sending again 2 deliveries of 2026-11-16');
    expect(await h.triggered()).toEqual([
      { date: '2026-11-16', frequency: 'weekly', trigger: 'manual', retryFailed: true },
    ]);
    await h.forgetTriggered();
  });

  it('previews say whether they show the stored digest or a fresh render', async () => {
    const stored = await page('/admin/digests/2026-11-16/preview');
    expect(stored.body).toContain('data-preview="stored"');
    expect(stored.body).toContain('The stored digest, as built');
    const fresh = await page('/admin/digests/2026-12-07/preview');
    expect(fresh.body).toContain('data-preview="fresh"');
    expect(fresh.body).toContain('Not built yet: rendered from the posts stored now.');
    expect(fresh.body).toContain('New post');
  });
});

describe('previewing and test-sending any variant', () => {
  // Its own site: two frequencies and a topic, so there is something to choose.
  let v: Harness;
  let va: Awaited<ReturnType<typeof adminLogin>>;
  const DAILY = '2026-12-03';
  beforeAll(async () => {
    v = await httpHarness('admin-variants', {
      now: () => NOW,
      env: { DIGEST_FREQUENCIES: 'daily,weekly' },
    });
    va = await adminLogin(v);
    await v.services.topics.add({ name: 'Go', categories: ['golang'] });
    const at = new Date('2026-12-02T09:30:00Z'); // in daily/2026-12-03's window and the week's
    for (const [slug, categories] of [
      ['go-post', ['GoLang']],
      ['other-post', []],
    ] as const)
      await v.services.posts.upsert(
        {
          url: `https://blog.example/${slug}`,
          guid: slug,
          title: slug,
          summary: `About ${slug}.`,
          publishedAt: at,
          categories: [...categories],
        },
        'https://blog.example/feed',
        at,
      );
  });
  afterAll(async () => v.close());

  it('offers the choices there are, and renders the variant as `digest preview` does', async () => {
    const plain = await va.page(`/admin/digests/2026-12-07/preview`);
    expect(plain.body).toContain('data-variant');
    expect(plain.body).toMatch(/<option\s+value="daily"\s*>daily<\/option>/);
    expect(plain.body).toMatch(/<option\s+value="weekly"\s+selected\s*>weekly<\/option>/);
    expect(plain.body).toMatch(/name="topics"\s+value="Go"\s*\/>/);
    expect(plain.body).toContain('2 posts');
    expect(plain.body).toContain('src="/admin/api/digests/2026-12-07/preview"');

    const res = await va.page(`/admin/digests/${DAILY}/preview?frequency=daily&topics=Go`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('1 post');
    expect(res.body).toMatch(/<option\s+value="daily"\s+selected\s*>daily<\/option>/);
    expect(res.body).toMatch(/name="topics"\s+value="Go"\s+checked\s*\/>/);
    const src = `/admin/api/digests/${DAILY}/preview?frequency=daily&amp;topics=Go`;
    expect(res.body).toContain(`src="${src}"`);
    expect(res.body).toContain('<input type="hidden" name="frequency" value="daily" />');
    expect(res.body).toContain('<input type="hidden" name="topics" value="Go" />');

    const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const api = await v.app.inject({
      url: `/admin/api/digests/${DAILY}/preview?frequency=daily&topics=Go&format=text`,
      headers: bearer,
    });
    expect(api.statusCode).toBe(200);
    expect(api.body).toContain('https://blog.example/go-post');
    expect(api.body).not.toContain('https://blog.example/other-post');
    // The same variant from the command line, a process of its own on the same Redis.
    const cli = await runCli(
      {
        prefix: v.config.redis.prefix,
        dataDir: v.config.dataDir,
        env: {
          PUBLIC_URL: 'http://localhost:3000',
          SITE_NAME: 'Test Digest',
          DIGEST_FREQUENCIES: 'daily,weekly',
        },
      },
      'preview',
      '--frequency',
      'daily',
      '--date',
      DAILY,
      '--topics',
      'Go',
      '--text',
    );
    expect(cli.stderr).toContain('(topics: Go): 1 post');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(api.body);

    // A frequency the site does not offer is refused, on the page and in the API.
    expect((await va.page(`/admin/digests/${DAILY}/preview?frequency=monthly`)).statusCode).toBe(
      400,
    );
    const monthly = await v.app.inject({
      url: `/admin/api/digests/${DAILY}/preview?frequency=monthly`,
      headers: bearer,
    });
    expect(monthly.statusCode).toBe(400);
  }, 120_000);

  it('test-sends the variant shown, from the page and the API, by the digest path', async () => {
    const res = await va.post(`/admin/digests/${DAILY}/test`, {
      email: 'editor@example.com',
      frequency: 'daily',
      topics: 'Go',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/digests/${DAILY}/preview?frequency=daily&topics=Go`);
    const page = v.sent.at(-1)!;
    expect(page).toMatchObject({
      to: 'editor@example.com',
      subject: expect.stringMatching(/^\[Test\]/),
    });
    expect(page.text).toContain('https://blog.example/go-post');
    expect(page.text).not.toContain('https://blog.example/other-post');

    const api = await v.app.inject({
      method: 'POST',
      url: `/admin/api/digests/${DAILY}/test`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { email: 'api@example.com', frequency: 'daily', topics: ['Go'] },
    });
    expect(api.statusCode).toBe(202);
    const sent = v.sent.at(-1)!;
    expect(sent.to).toBe('api@example.com');
    expect(sent.text).toContain('https://blog.example/go-post');
    expect(sent.text).not.toContain('https://blog.example/other-post');
    // No topics: every post.
    await v.app.inject({
      method: 'POST',
      url: `/admin/api/digests/${DAILY}/test`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { email: 'all@example.com', frequency: 'daily' },
    });
    expect(v.sent.at(-1)!.text).toContain('https://blog.example/other-post');
  });
});

describe('the next sends by zone on the dashboard', () => {
  // Its own site: two frequencies, subscribers in three zones besides DIGEST_TZ (UTC).
  let z: Harness;
  beforeAll(async () => {
    z = await httpHarness('admin-next-sends', {
      now: () => NOW,
      env: { DIGEST_FREQUENCIES: 'daily,weekly' },
    });
    const add = (email: string, tz: string, frequency: 'daily' | 'weekly', confirmed = true) =>
      z.subscribers.add({ email, tz, frequency, status: confirmed ? 'confirmed' : 'pending' });
    await add('tokyo@example.com', 'Asia/Tokyo', 'weekly');
    await add('la@example.com', 'America/Los_Angeles', 'weekly');
    await add('tokyo-daily@example.com', 'Asia/Tokyo', 'daily');
    await add('auckland@example.com', 'Pacific/Auckland', 'daily');
    // Not confirmed: its zone is not in use.
    await add('berlin@example.com', 'Europe/Berlin', 'weekly', false);
  });
  afterAll(async () => z.close());

  it('names each frequency’s next edition with its first and last zones, as `digest schedule` lists them', async () => {
    const dash = await (await adminLogin(z)).page('/admin');
    const items = [...dash.body.matchAll(/<li data-frequency="(\w+)">([^<]*)<\/li>/g)].map(
      (m) => m[2],
    );
    expect(items).toEqual([
      // Wednesday 10:00 UTC: daily/2026-12-02 has gone out everywhere; Auckland's 09:00 of the
      // 3rd is 20:00 UTC on the 2nd.
      'daily 2026-12-03: first at 09:00 Pacific/Auckland (2026-12-02 20:00 UTC), last at 09:00 UTC; 3 zones',
      'weekly 2026-12-07: first at 09:00 Asia/Tokyo (00:00 UTC), last at 09:00 America/Los_Angeles; 3 zones',
    ]);
    expect(dash.body).not.toContain('Europe/Berlin');

    // The same slots as the command line's (one function lists them for both).
    const cli = await runCli(
      {
        prefix: z.config.redis.prefix,
        dataDir: z.config.dataDir,
        env: { DIGEST_FREQUENCIES: 'daily,weekly' },
      },
      'schedule',
      '--count',
      '1',
      '--after',
      NOW.toISOString(),
      '--json',
    );
    expect(cli.code).toBe(0);
    const sends = JSON.parse(cli.stdout) as UpcomingSend[];
    expect(sends.map(describeNextSend)).toEqual(items);
  });
});

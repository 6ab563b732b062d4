import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  adminLogin,
  FORM,
  form,
  httpHarness,
  multipart,
  postForm,
  withHarness,
  type Harness,
} from './http-setup.js';

let h: Harness;
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
let cookie = '';
let csrf = '';

beforeAll(async () => {
  h = await httpHarness('admin');
  ({ cookie, csrf } = await adminLogin(h));
});
afterAll(async () => h.close());

const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  h.app.inject({ method, url, headers: bearer, ...(payload ? { payload } : {}) });

describe('admin authentication', () => {
  it('refuses the API with no token and with a wrong token, as JSON', async () => {
    const none = await h.app.inject({ url: '/admin/api/digests' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    const wrong = await h.app.inject({
      url: '/admin/api/digests',
      headers: { authorization: 'Bearer wrong-token-wrong-token' },
    });
    expect(wrong.statusCode).toBe(401);
    const prefix = await h.app.inject({
      url: '/admin/api/digests',
      headers: { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
    });
    expect(prefix.statusCode).toBe(401);
    const basic = await h.app.inject({
      url: '/admin/api/digests',
      headers: { authorization: `Basic ${ADMIN_TOKEN}` },
    });
    expect(basic.statusCode).toBe(401);
    // A wrong bearer is refused even with a valid cookie.
    const both = await h.app.inject({
      url: '/admin/api/digests',
      headers: { cookie, authorization: 'Bearer nope' },
    });
    expect(both.statusCode).toBe(401);
  });

  it('accepts the bearer token', async () => {
    const res = await api('GET', '/admin/api/digests');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ digests: [] });
  });

  it('redirects pages to the login form without a session', async () => {
    const res = await h.app.inject({ url: '/admin' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/login');
    const post = await postForm(h.app, '/admin/trigger', {});
    expect(post.statusCode).toBe(401);
    expect(await h.triggered()).toHaveLength(0);
  });

  it('logs in with the form: HttpOnly, SameSite=Strict cookie that is not the token', async () => {
    const res = await postForm(h.app, '/admin/login', { token: ADMIN_TOKEN });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin');
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/^digest_admin=/);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).not.toContain('Secure'); // PUBLIC_URL is http here
    expect(set).not.toContain(ADMIN_TOKEN);
    const login = await h.app.inject({ url: '/admin/login' });
    expect(login.body).toContain('type="password"');
  });

  it('sets a Secure cookie when PUBLIC_URL is https', async () => {
    await withHarness(
      'admin-https',
      { env: { PUBLIC_URL: 'https://digest.example' } },
      async (s) => {
        const res = await s.app.inject({
          url: `/admin/login?code=${await s.sessions.createLoginCode()}`,
        });
        expect(res.statusCode).toBe(303);
        expect(String(res.headers['set-cookie'])).toContain('Secure');
        expect(String(res.headers['strict-transport-security'])).toContain('max-age');
      },
    );
  });

  it('the one-time login link starts a session once, and the token never works in a URL', async () => {
    const code = await h.sessions.createLoginCode();
    const res = await h.app.inject({ url: `/admin/login?code=${code}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin');
    const session = String(res.headers['set-cookie']).split(';')[0]!;
    expect(session).toMatch(/^digest_admin=/);
    expect((await h.app.inject({ url: '/admin', headers: { cookie: session } })).statusCode).toBe(
      200,
    );
    const again = await h.app.inject({ url: `/admin/login?code=${code}` });
    expect(again.statusCode).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    // The old ?token= link is gone: the token never travels in a URL (nor into a log).
    const old = await h.app.inject({
      url: `/admin/login?token=${encodeURIComponent(ADMIN_TOKEN)}`,
    });
    expect(old.statusCode).toBe(200);
    expect(old.headers['set-cookie']).toBeUndefined();
    expect(old.body).toContain('type="password"');
  });

  it('refuses a wrong token at the login form', async () => {
    const res = await postForm(h.app, '/admin/login', { token: 'wrong' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a forged session cookie', async () => {
    const forged = `digest_admin=${9_999_999_999}.${'A'.repeat(43)}`;
    const res = await h.app.inject({ url: '/admin', headers: { cookie: forged } });
    expect(res.statusCode).toBe(303);
    const apiRes = await h.app.inject({ url: '/admin/api/digests', headers: { cookie: forged } });
    expect(apiRes.statusCode).toBe(401);
  });

  it('lets the session cookie read the API (the dashboard polls) but not change it without CSRF', async () => {
    expect(
      (await h.app.inject({ url: '/admin/api/digests', headers: { cookie } })).statusCode,
    ).toBe(200);
    const post = await h.app.inject({
      method: 'POST',
      url: '/admin/api/digests',
      headers: { cookie },
      payload: {},
    });
    expect(post.statusCode).toBe(403);
    expect(post.json().error.code).toBe('CSRF_INVALID');
    const withCsrf = await h.app.inject({
      method: 'POST',
      url: '/admin/api/feeds/ingest',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(withCsrf.statusCode).toBe(200);
  });

  it('refuses a cookie-authenticated form without its CSRF token, or with a wrong one', async () => {
    const before = (await h.triggered()).length;
    const none = await postForm(
      h.app,
      '/admin/trigger',
      { date: '2026-03-02' },
      { headers: { cookie } },
    );
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain('did not come from this site');
    const wrong = await postForm(
      h.app,
      '/admin/trigger',
      { date: '2026-03-02', _csrf: 'x'.repeat(43) },
      { headers: { cookie } },
    );
    expect(wrong.statusCode).toBe(403);
    expect((await h.triggered()).length).toBe(before);
  });

  it('logs out: the old cookie no longer works', async () => {
    const second = await adminLogin(h);
    const mine = second.cookie;
    expect(second.csrf).not.toBe(csrf);
    const res = await second.post('/admin/logout', {});
    expect(res.statusCode).toBe(303);
    expect(String(res.headers['set-cookie'])).toMatch(/digest_admin=;/);
    expect((await h.app.inject({ url: '/admin', headers: { cookie: mine } })).statusCode).toBe(303);
    expect(
      (await h.app.inject({ url: '/admin/api/digests', headers: { cookie: mine } })).statusCode,
    ).toBe(401);
    // Other sessions live on.
    expect((await h.app.inject({ url: '/admin', headers: { cookie } })).statusCode).toBe(200);
  });
});

describe('admin pages', () => {
  it('dashboard: next digest with its posts, digests with live counters', async () => {
    await h.posts.addManual(
      { title: 'A post <b>bold</b>', url: 'https://blog.example/a', date: new Date() },
      new Date(),
    );
    await h.storeDigest('2026-01-05', 'sent');
    const res = await h.app.inject({ url: '/admin', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Next digest');
    // The next send in DIGEST_TZ in words (UTC here, Mondays 09:00).
    expect(res.body).toMatch(
      /<time data-field="next-send" datetime="[^"]+T09:00:00\.000Z"\s*>Monday \d{1,2} [A-Z][a-z]+( \d{4})?, 09:00 UTC<\/time/,
    );
    expect(res.body).toContain('A post &lt;b&gt;bold&lt;/b&gt;');
    expect(res.body).toContain('data-live-digests');
    expect(res.body).toContain('<tr data-date="2026-01-05">');
    expect(res.body).toContain('<script src="/assets/admin.js"');
    const js = await h.app.inject({ url: '/assets/admin.js' });
    expect(js.body).toContain('/admin/api/digests');
    expect(js.body).toContain('2000');
  });

  it('trigger: a confirmation step, then the build is queued', async () => {
    // The next digest carries the post the dashboard test added.
    const date = (await api('GET', '/admin/api/digests/next')).json().date as string;
    const page = await h.app.inject({ url: `/admin/trigger?date=${date}`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Yes, send it');
    expect(await h.triggered()).toHaveLength(0);
    const res = await postForm(
      h.app,
      '/admin/trigger',
      { date, _csrf: csrf },
      { headers: { cookie } },
    );
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin');
    expect(await h.triggered()).toEqual([
      { frequency: 'weekly', date, trigger: 'manual', now: true },
    ]);
    const flash = String(res.headers['set-cookie'])
      .split(',')
      .find((c) => c.trim().startsWith('digest_flash'))!;
    const after = await h.app.inject({
      url: '/admin',
      headers: { cookie: `${cookie}; ${flash.split(';')[0]}` },
    });
    expect(after.body).toContain(`${date} is being built`);
    await h.forgetTriggered();
  });

  it('preview: desktop and phone frames, the text part, a send-test form', async () => {
    const date = (await api('GET', '/admin/api/digests/next')).json().date as string;
    const res = await h.app.inject({ url: `/admin/digests/${date}/preview`, headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('class="desktop"');
    expect(res.body).toContain('class="phone"');
    expect(res.body).toContain(`src="/admin/api/digests/${date}/preview"`);
    expect(res.body).toContain('<pre class="text">');
    expect(res.body).toContain(`action="/admin/digests/${date}/test"`);
    // One frequency, no topic defined: nothing to choose, so no variant picker.
    expect(res.body).not.toContain('data-variant');
    const test = await postForm(
      h.app,
      `/admin/digests/${date}/test`,
      { email: 'editor@example.com', _csrf: csrf },
      { headers: { cookie } },
    );
    expect(test.statusCode).toBe(303);
    expect(h.sent.at(-1)).toMatchObject({
      to: 'editor@example.com',
      subject: expect.stringMatching(/^\[Test\]/),
    });
    // A digest not built yet is rendered for the test: its "you receive this at" line names
    // the tester, not the preview's sample reader.
    expect(h.sent.at(-1)!.text).toContain('editor@example.com');
    expect(h.sent.at(-1)!.text).not.toContain('reader@example.com');
    expect(h.sent.at(-1)!.html).toContain('editor@example.com');
  });

  it('subscribers: counts, search, status filter, add and delete', async () => {
    await h.subscribers.add({ email: 'alice@example.com', status: 'confirmed' });
    await h.subscribers.add({ email: 'bob@example.com', status: 'pending' });
    const all = await h.app.inject({ url: '/admin/subscribers', headers: { cookie } });
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain('alice@example.com');
    expect(all.body).toMatch(/1 confirmed/);
    const filtered = await h.app.inject({
      url: '/admin/subscribers?status=pending',
      headers: { cookie },
    });
    expect(filtered.body).toContain('bob@example.com');
    expect(filtered.body).not.toContain('<td>alice@example.com');
    const search = await h.app.inject({
      url: '/admin/subscribers?search=alice',
      headers: { cookie },
    });
    expect(search.body).toContain('alice@example.com');
    expect(search.body).not.toContain('<td>bob@example.com');
    const add = await postForm(
      h.app,
      '/admin/subscribers',
      { email: 'carol@example.com', confirmed: 'yes', _csrf: csrf },
      { headers: { cookie } },
    );
    expect(add.statusCode).toBe(303);
    const carol = (await h.subscribers.getByEmail('carol@example.com'))!;
    expect(carol.status).toBe('confirmed');
    const del = await postForm(
      h.app,
      `/admin/subscribers/${carol.id}/delete`,
      { _csrf: csrf },
      { headers: { cookie } },
    );
    expect(del.statusCode).toBe(303);
    expect(await h.subscribers.get(carol.id)).toBeUndefined();
  });

  it('subscribers: CSV import from the page form (multipart with CSRF)', async () => {
    const mp = multipart(
      { _csrf: csrf },
      { name: 'file', filename: 'list.csv', content: 'email\ndave@example.com\nnot-valid\n' },
    );
    const res = await h.app.inject({
      method: 'POST',
      url: '/admin/subscribers/import',
      headers: { ...mp.headers, cookie },
      payload: mp.body,
    });
    // The page answers with the report: counts and the bad rows by line, as the CLI prints them.
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Import: 2 rows read');
    expect(res.body).toMatch(/<td data-label="Line">3<\/td>\s*<td data-label="Problem">/);
    expect((await h.subscribers.getByEmail('dave@example.com'))?.status).toBe('confirmed');
    const noCsrf = multipart(
      {},
      { name: 'file', filename: 'list.csv', content: 'email\nerin@example.com\n' },
    );
    const refused = await h.app.inject({
      method: 'POST',
      url: '/admin/subscribers/import',
      headers: { ...noCsrf.headers, cookie },
      payload: noCsrf.body,
    });
    expect(refused.statusCode).toBe(403);
    expect(await h.subscribers.getByEmail('erin@example.com')).toBeUndefined();
  });

  it('feeds: status, add (http(s) only), remove', async () => {
    const add = await h.app.inject({
      method: 'POST',
      url: '/admin/feeds',
      headers: { ...FORM, cookie },
      // No such host: added without the check (the check is tested in feeds-add.test.ts).
      payload: form({ url: 'https://blog.example/feed.xml', check: 'no', _csrf: csrf }),
    });
    expect(add.statusCode).toBe(303);
    const page = await h.app.inject({ url: '/admin/feeds', headers: { cookie } });
    expect(page.body).toContain('https://blog.example/feed.xml');
    expect(page.body).toContain('not fetched yet');
    const file = await postForm(
      h.app,
      '/admin/feeds',
      { url: '/etc/passwd', _csrf: csrf },
      { headers: { cookie } },
    );
    expect(file.statusCode).toBe(400);
    const remove = await postForm(
      h.app,
      '/admin/feeds/remove',
      { url: 'https://blog.example/feed.xml', _csrf: csrf },
      { headers: { cookie } },
    );
    expect(remove.statusCode).toBe(303);
    expect(await h.feeds.list()).toHaveLength(0);
  });
});

describe('admin API', () => {
  it('digests: list with counters, trigger (idempotent per date is the service), preview html and text', async () => {
    const list = (await api('GET', '/admin/api/digests')).json();
    expect(list.digests[0]).toMatchObject({ date: '2026-01-05', counters: { sent: 0, failed: 0 } });
    const next = (await api('GET', '/admin/api/digests/next')).json().date as string;
    const trig = await api('POST', '/admin/api/digests', { date: next });
    expect(trig.statusCode).toBe(202);
    expect(trig.json()).toMatchObject({ date: next, created: true });
    const bad = await api('POST', '/admin/api/digests', { date: '2026-02-30' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('DIGEST_DATE_INVALID');
    const extra = await api('POST', '/admin/api/digests', { date: next, evil: 1 });
    expect(extra.json().error.code).toBe('VALIDATION_FAILED');
    const html = await api('GET', '/admin/api/digests/2026-01-05/preview');
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('Digest body');
    expect(String(html.headers['content-security-policy'])).toContain("default-src 'none'");
    const text = await api('GET', '/admin/api/digests/2026-01-05/preview?format=text');
    expect(text.headers['content-type']).toContain('text/plain');
    expect(text.body).toContain('Text');
    const one = await api('GET', '/admin/api/digests/2026-01-05');
    expect(one.json()).toMatchObject({ date: '2026-01-05', status: 'sent' });
    expect((await api('GET', '/admin/api/digests/2031-01-05')).statusCode).toBe(404);
  });

  it('digests: test send, with a bad address refused', async () => {
    const ok = await api('POST', '/admin/api/digests/2026-01-05/test', {
      email: 'test@example.com',
    });
    expect(ok.statusCode).toBe(202);
    expect(h.sent.at(-1)).toMatchObject({
      to: 'test@example.com',
      subject: '[Test] Digest 2026-01-05',
    });
    const crlf = await api('POST', '/admin/api/digests/2026-01-05/test', {
      email: 'x@example.com\r\nBcc: y@example.com',
    });
    expect(crlf.statusCode).toBe(400);
    expect(crlf.json().error.code).toBe('ADDRESS_CONTROL_CHARS');
  });

  it("digests: a test send carries the digest's headers and, for a subscriber, their working links", async () => {
    const { subscriber } = await h.subscribers.add({
      email: 'test-reader@example.com',
      status: 'confirmed',
    });
    const send = (email: string) => api('POST', '/admin/api/digests/2026-01-05/test', { email });
    expect((await send('test-reader@example.com')).statusCode).toBe(202);
    const copy = h.sent.at(-1)!;
    expect(copy.subject).toBe('[Test] Digest 2026-01-05');
    expect(copy.headers).toMatchObject({
      'List-Id': '"Test Digest" <test-digest.localhost>',
      Precedence: 'bulk',
      'Auto-Submitted': 'auto-generated',
      To: '<test-reader@example.com>',
    });
    // PUBLIC_URL is http here: no one-click POST (RFC 8058 §3)
    expect(copy.headers?.['List-Unsubscribe-Post']).toBeUndefined();
    const link = /href="http:\/\/localhost:3000(\/unsubscribe\?token=([^"]+))"/.exec(copy.html)!;
    expect(copy.headers?.['List-Unsubscribe']).toBe(`<http://localhost:3000${link[1]}>`);
    expect(h.tokens.verify('unsubscribe', link[2])).toMatchObject({
      ok: true,
      subscriberId: subscriber.id,
    });
    expect(copy.envelope?.from).toMatch(/^bounces\+[A-Za-z0-9_-]{40}@localhost$/);
    expect(copy.envelope?.from).toBe(`bounces+${h.tokens.sign('bounce', subscriber.id)}@localhost`);
    expect((await h.app.inject({ url: link[1] })).statusCode).toBe(200);

    // An address that is no subscriber: the same headers, the preview's stand-in links.
    expect((await send('someone@example.com')).statusCode).toBe(202);
    const other = h.sent.at(-1)!;
    expect(other.headers?.['List-Id']).toBe('"Test Digest" <test-digest.localhost>');
    expect(other.headers?.['List-Unsubscribe']).toBe(
      '<http://localhost:3000/unsubscribe?token=sample>',
    );
    expect(other.html).toContain('href="http://localhost:3000/unsubscribe?token=sample"');
    expect(other.html).not.toContain('%%');
    expect(other.envelope?.from).toBe('bounces@localhost');
  });

  it('subscribers: add, list with paging and search, delete', async () => {
    const add = await api('POST', '/admin/api/subscribers', {
      email: 'api@example.com',
      status: 'confirmed',
      tz: 'Europe/Berlin',
    });
    expect(add.statusCode).toBe(201);
    const id = add.json().subscriber.id as number;
    const again = await api('POST', '/admin/api/subscribers', { email: 'api@example.com' });
    expect(again.statusCode).toBe(200);
    expect((await api('POST', '/admin/api/subscribers', { email: 'bad' })).json().error.code).toBe(
      'ADDRESS_INVALID',
    );
    expect(
      (await api('POST', '/admin/api/subscribers', { email: 'x@example.com', status: 'nope' }))
        .statusCode,
    ).toBe(400);
    const page1 = (await api('GET', '/admin/api/subscribers?limit=1')).json();
    expect(page1.subscribers).toHaveLength(1);
    expect(page1.next.after).toBeTypeOf('number');
    expect(page1.counts.confirmed).toBeGreaterThan(0);
    const page2 = (
      await api('GET', `/admin/api/subscribers?limit=1&after=${page1.next.after}`)
    ).json();
    expect(page2.subscribers[0].id).toBeGreaterThan(page1.subscribers[0].id);
    const found = (await api('GET', '/admin/api/subscribers?search=api%40')).json();
    expect(found.subscribers.map((s: { email: string }) => s.email)).toContain('api@example.com');
    expect((await api('GET', '/admin/api/subscribers?status=weird')).statusCode).toBe(400);
    expect((await api('DELETE', `/admin/api/subscribers/${id}`)).statusCode).toBe(204);
    expect((await api('DELETE', `/admin/api/subscribers/${id}`)).statusCode).toBe(404);
    expect((await api('DELETE', '/admin/api/subscribers/abc')).statusCode).toBe(400);
  });

  it('subscribers: import a CSV body and a multipart file; export CSV', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/admin/api/subscribers/import',
      headers: { ...bearer, 'content-type': 'text/csv' },
      payload: 'email,name\nimp1@example.com,One\nimp2@example.com,"=cmd()"\nbroken\n',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ created: 2, invalidCount: 1 });
    const mp = multipart(
      {},
      { name: 'file', filename: 'x.csv', content: 'email\nimp3@example.com\n' },
    );
    const res2 = await h.app.inject({
      method: 'POST',
      url: '/admin/api/subscribers/import?status=pending',
      headers: { ...bearer, ...mp.headers },
      payload: mp.body,
    });
    expect(res2.json()).toMatchObject({ created: 1 });
    expect((await h.subscribers.getByEmail('imp3@example.com'))?.status).toBe('pending');
    const empty = await h.app.inject({
      method: 'POST',
      url: '/admin/api/subscribers/import',
      headers: bearer,
      payload: {},
    });
    expect(empty.json().error.code).toBe('IMPORT_FILE_MISSING');
    const csv = await api('GET', '/admin/api/subscribers/export');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\n')[0]).toContain('email');
    expect(csv.body).toContain('imp1@example.com');
    expect(csv.body).toContain("'=cmd()");
  });

  it('feeds: list, add, remove, ingest; posts: list, add', async () => {
    const add = await api('POST', '/admin/api/feeds', {
      url: 'https://blog.example/rss',
      check: false,
    });
    expect(add.statusCode).toBe(201);
    expect((await api('POST', '/admin/api/feeds', { url: 'file:///etc/passwd' })).statusCode).toBe(
      400,
    );
    expect((await api('GET', '/admin/api/feeds')).json().feeds).toHaveLength(1);
    expect(
      (
        await api(
          'DELETE',
          `/admin/api/feeds?url=${encodeURIComponent('https://blog.example/rss')}`,
        )
      ).statusCode,
    ).toBe(204);
    const missing = await api('DELETE', '/admin/api/feeds?url=https%3A%2F%2Fnone.example');
    expect(missing.statusCode).toBe(404);
    // Not FEED_NOT_FOUND: that code means a feed's source is not there when fetched.
    expect(missing.json().error.code).toBe('FEED_NOT_ADDED');
    expect((await api('POST', '/admin/api/feeds/ingest')).json()).toEqual({ results: [] });
    const post = await api('POST', '/admin/api/posts', {
      title: 'Manual',
      url: 'https://blog.example/m',
      date: '2026-01-01',
    });
    expect(post.statusCode).toBe(201);
    expect(post.json()).toMatchObject({ title: 'Manual', feed: 'manual' });
    expect(
      (await api('POST', '/admin/api/posts', { title: 'X', url: 'javascript:alert(1)' }))
        .statusCode,
    ).toBe(400);
    const posts = (await api('GET', '/admin/api/posts?limit=10')).json();
    expect(posts.total).toBeGreaterThan(0);
    expect(posts.posts.map((p: { title: string }) => p.title)).toContain('Manual');
  });

  it('suppressions: a webhook suppresses an address for good', async () => {
    await h.subscribers.add({ email: 'bounce@example.com', status: 'confirmed' });
    const res = await api('POST', '/admin/api/suppressions', {
      email: 'bounce@example.com',
      reason: 'bounced',
    });
    expect(res.statusCode).toBe(200);
    expect((await h.subscribers.getByEmail('bounce@example.com'))?.status).toBe('bounced');
    expect(await h.subscribers.isSuppressed('bounce@example.com')).toBe(true);
    expect(
      (await api('POST', '/admin/api/suppressions', { email: 'x@example.com', reason: 'because' }))
        .statusCode,
    ).toBe(400);
  });

  it('refuses an oversized JSON body and malformed JSON with stable codes', async () => {
    const big = await api('POST', '/admin/api/posts', {
      title: 'x'.repeat(70_000),
      url: 'https://a.example',
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('BODY_TOO_LARGE');
    const malformed = await h.app.inject({
      method: 'POST',
      url: '/admin/api/posts',
      headers: { ...bearer, 'content-type': 'application/json' },
      payload: '{"title":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('BAD_REQUEST');
    const unknown = await api('GET', '/admin/api/nothing-here');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('NOT_FOUND');
  });

  it('answers a 500 without details', async () => {
    await withHarness('admin-500', {}, async (broken) => {
      // Data of the wrong type under the digests key: an error that is no Redis outage.
      await broken.redis.set(broken.keys.digests, 'not a zset');
      const res = await broken.app.inject({ url: '/admin/api/digests', headers: bearer });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({
        error: { code: 'INTERNAL', message: 'Something went wrong on our side.' },
      });
      const page = await broken.app.inject({ url: '/' });
      expect(page.statusCode).toBe(500);
      expect(page.body).not.toMatch(/WRONGTYPE|stack|at /);
    });
  });

  it('answers 503 without details while Redis is away, and /readyz says so', async () => {
    const broken = await httpHarness('admin-503');
    try {
      broken.redis.disconnect();
      const res = await broken.app.inject({ url: '/admin/api/digests', headers: bearer });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('SERVICE_UNAVAILABLE');
      const page = await broken.app.inject({ url: '/' });
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain('try again in a minute');
      expect(page.body).not.toMatch(/Connection|ECONN|stack|at /);
      expect((await broken.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    } finally {
      await broken.redis.connect().catch(() => undefined);
      await broken.close();
    }
  });
});

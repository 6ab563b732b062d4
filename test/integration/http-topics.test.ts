import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, FORM, httpHarness, postForm, type Harness } from './http-setup.js';

const FEED = 'https://go.example/feed.xml';
const EVIL = '<script>alert(1)</script>';
let h: Harness;
let cookie = '';
let csrf = '';

beforeAll(async () => {
  h = await httpHarness('topics');
  await h.feeds.add(FEED);
  const login = await postForm(h.app, '/admin/login', { token: ADMIN_TOKEN });
  cookie = String(login.headers['set-cookie']).split(';')[0]!;
  const page = await h.app.inject({ url: '/admin/topics', headers: { cookie } });
  csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
});
afterAll(async () => h.close());

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  h.app.inject({ method, url: `/admin/api${url}`, headers: bearer, payload });
const page = (url = '/admin/topics') => h.app.inject({ url, headers: { cookie } });
const post = (url: string, fields: Record<string, string | string[]>, withCsrf = true) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  if (withCsrf) body.append('_csrf', csrf);
  return h.app.inject({
    method: 'POST',
    url,
    headers: { ...FORM, cookie },
    payload: body.toString(),
  });
};
/** The page after a POST's redirect, with the flash message it left. */
async function after(res: Awaited<ReturnType<typeof post>>) {
  expect(res.statusCode).toBe(303);
  const flash = String(res.headers['set-cookie'])
    .split(',')
    .find((c) => c.trim().startsWith('digest_flash'))!;
  const next = await h.app.inject({
    url: String(res.headers.location),
    headers: { cookie: `${cookie}; ${flash.split(';')[0]}` },
  });
  return next.body;
}

describe('the topics API', () => {
  it('needs the admin token', async () => {
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      const none = await h.app.inject({ method, url: '/admin/api/topics?name=x', payload: {} });
      expect(none.statusCode).toBe(401);
      const wrong = await h.app.inject({
        method,
        url: '/admin/api/topics?name=x',
        headers: { authorization: 'Bearer wrong-token' },
        payload: {},
      });
      expect(wrong.statusCode).toBe(401);
    }
    // A session cookie without its CSRF header changes nothing.
    const res = await h.app.inject({
      method: 'POST',
      url: '/admin/api/topics',
      headers: { cookie },
      payload: { name: 'Sneaky', categories: ['x'] },
    });
    expect(res.statusCode).toBe(403);
    expect((await api('GET', '/topics')).json()).toEqual({ topics: [], unfinished: [] });
  });

  it('adds, lists and removes, with the reason for a refusal', async () => {
    const added = await api('POST', '/topics', { name: 'Go', feeds: [`${FEED}#x`] });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toEqual({ name: 'Go', feeds: [FEED], categories: [] });
    const refusals: [object, number, string][] = [
      [{ name: 'go', categories: ['golang'] }, 409, 'TOPIC_EXISTS'],
      [{ name: EVIL, categories: ['x'] }, 400, 'TOPIC_NAME_INVALID'],
      [{ name: 'Rust', feeds: ['https://rust.example/feed'] }, 400, 'TOPIC_FEED_UNKNOWN'],
      [{ name: 'Rust' }, 400, 'TOPIC_EMPTY'],
      [{ name: 'Rust', feeds: 'not a list' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of refusals) {
      const res = await api('POST', '/topics', body);
      expect(res.statusCode).toBe(status);
      expect(res.json().error.code).toBe(code);
    }
    expect((await api('GET', '/topics')).json().topics).toEqual([
      { name: 'Go', feeds: [FEED], categories: [] },
    ]);
    await h.subscribers.add({ email: 'go@example.org', topics: ['Go'] });
    const removed = await api('DELETE', '/topics?name=GO');
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ name: 'Go', subscribers: 1 });
    expect((await api('DELETE', '/topics?name=Go')).statusCode).toBe(404);
    expect((await h.subscribers.getByEmail('go@example.org'))!.topics).toEqual([]);
  });
});

describe('the topics page', () => {
  it('is in the admin navigation, behind the login', async () => {
    const anon = await h.app.inject({ url: '/admin/topics' });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe('/admin/login');
    expect((await page('/admin')).body).toContain('<a href="/admin/topics">Topics</a>');
    const res = await page();
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Topics</h1>');
    // The feeds to choose from.
    expect(res.body).toMatch(
      /type="checkbox"\s+name="feed"\s+value="https:\/\/go\.example\/feed\.xml"/,
    );
  });

  it('refuses a form without its CSRF token', async () => {
    const res = await post('/admin/topics', { name: 'Go', feed: FEED }, false);
    expect(res.statusCode).toBe(403);
    expect((await h.topics.list()).length).toBe(0);
    await h.topics.add({ name: 'Keep', categories: ['k'] });
    expect((await post('/admin/topics/remove', { name: 'Keep' }, false)).statusCode).toBe(403);
    expect(await h.topics.get('Keep')).toBeDefined();
  });

  it('adds a topic from feeds and categories, and removes it saying who had it', async () => {
    const body = await after(
      await post('/admin/topics', { name: 'Go', feed: [FEED], categories: 'golang, Go Lang,' }),
    );
    expect(body).toContain('Added the topic Go.');
    expect(await h.topics.get('go')).toEqual({
      name: 'Go',
      feeds: [FEED],
      categories: ['golang', 'Go Lang'],
    });
    expect(body).toContain('golang, Go Lang');
    await h.subscribers.add({ email: 'both@example.org', topics: ['Keep', 'Go'] });
    await h.subscribers.add({ email: 'go2@example.org', topics: ['Go'] });
    const gone = await after(await post('/admin/topics/remove', { name: 'Go' }));
    expect(gone).toContain(
      'Topic &quot;Go&quot; removed. 2 subscribers had chosen it: from their next digest they get the posts of their other topics, or every post where it was their only one.',
    );
    expect((await h.subscribers.getByEmail('both@example.org'))!.topics).toEqual(['Keep']);
  });

  it('says why a topic is not added, keeping the form, everything escaped', async () => {
    const res = await post('/admin/topics', { name: EVIL, categories: EVIL });
    expect(res.statusCode).toBe(422);
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).toContain(
      'Not added: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; is not a topic name',
    );
    expect(res.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    const empty = await post('/admin/topics', { name: 'Empty' });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('needs at least one feed or one category');
    const taken = await post('/admin/topics', { name: 'keep', categories: 'x' });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('there is a topic &quot;Keep&quot; already');
    // A category is plain text, shown as text.
    await h.topics.add({ name: 'Evil', categories: [EVIL] });
    const list = await page();
    expect(list.body).not.toContain('<script>alert');
    expect(list.body).toContain(
      '<td data-label="Categories">&lt;script&gt;alert(1)&lt;/script&gt;</td>',
    );
  });
});

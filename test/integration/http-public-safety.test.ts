import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  confirmVia,
  formStamp,
  httpHarness,
  linkIn,
  postForm,
  withHarness,
  type Harness,
} from './http-setup.js';

/** Proxies, double opt-in by a person, pending expiry, limits, data links, CSV export. */
const clock = { now: new Date() };
let h: Harness;
beforeAll(async () => {
  h = await httpHarness('pub-safety', { now: () => clock.now, env: { TRUST_PROXY: '1' } });
});
afterAll(async () => h.close());
beforeEach(() => {
  clock.now = new Date();
  h.sent.length = 0;
});

async function subscribe(email: string, opts: { ip?: string; xff?: string } = {}) {
  const res = await postForm(
    h.app,
    '/subscribe',
    { email, ts: await formStamp(h.app) },
    {
      remoteAddress: opts.ip ?? '10.0.0.1',
      headers: { ...(opts.xff ? { 'x-forwarded-for': opts.xff } : {}) },
    },
  );
  await h.app.background.drain();
  return res;
}

describe('TRUST_PROXY=1 (one proxy in front)', () => {
  it('takes the address the proxy saw, and stores only a valid IP as consent', async () => {
    await subscribe('proxied@example.com', { ip: '127.0.0.1', xff: '1.2.3.4, 203.0.113.9' });
    const sub = (await h.subscribers.getByEmail('proxied@example.com'))!;
    expect(sub.consent?.ip).toBe('203.0.113.9');
    await subscribe('garbage@example.com', { ip: '127.0.0.1', xff: 'i am <b>anything</b>' });
    const junk = (await h.subscribers.getByEmail('garbage@example.com'))!;
    expect(junk.consent?.ip).toBeUndefined();
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored', async () => {
    await withHarness('pub-noproxy', {}, async (direct) => {
      await direct.app.inject({
        method: 'POST',
        url: '/api/subscribe',
        remoteAddress: '192.0.2.7',
        headers: { 'x-forwarded-for': '6.6.6.6' },
        payload: { email: 'direct@example.com' },
      });
      const sub = (await direct.subscribers.getByEmail('direct@example.com'))!;
      expect(sub.consent?.ip).toBe('192.0.2.7');
    });
  });
});

describe('confirmation by a person', () => {
  it('GET and HEAD show the page and change nothing; the button (POST) confirms', async () => {
    await subscribe('person@example.com');
    const url = linkIn(h.sent[0], '/confirm');
    const page = await h.app.inject({ url });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post" action="/confirm">');
    expect(page.body.match(/<button/g)).toHaveLength(1);
    expect((await h.app.inject({ method: 'HEAD', url })).statusCode).toBe(200);
    const prefetch = await h.app.inject({ url, headers: { purpose: 'prefetch' } });
    expect(prefetch.statusCode).toBe(200);
    expect((await h.subscribers.getByEmail('person@example.com'))!.status).toBe('pending');
    const done = await confirmVia(h.app, url);
    expect(done.body).toContain('Subscription confirmed');
    expect((await h.subscribers.getByEmail('person@example.com'))!.status).toBe('confirmed');
  });

  it('a link issued before the address unsubscribed does not subscribe it again', async () => {
    clock.now = new Date(Date.now() - 3600_000);
    await subscribe('old-link@example.com');
    const oldLink = linkIn(h.sent[0], '/confirm');
    clock.now = new Date();
    const sub = (await h.subscribers.getByEmail('old-link@example.com'))!;
    await h.subscribers.setStatus(sub.id, 'confirmed');
    await h.subscribers.setStatus(sub.id, 'unsubscribed');
    const res = await confirmVia(h.app, oldLink);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('out of date');
    const post = await postForm(h.app, '/confirm', { token: oldLink.split('token=')[1]! });
    expect(post.statusCode).toBe(400);
    expect((await h.subscribers.get(sub.id))!.status).toBe('unsubscribed');
    // Asking again gives a fresh link that works.
    h.sent.length = 0;
    clock.now = new Date(Date.now() + 1000);
    await subscribe('old-link@example.com');
    expect((await confirmVia(h.app, linkIn(h.sent[0], '/confirm'))).statusCode).toBe(200);
    expect((await h.subscribers.get(sub.id))!.status).toBe('confirmed');
  });
});

describe('pending subscribers and confirmation limits', () => {
  it('a pending subscriber is deleted 7 days after the last request', async () => {
    await subscribe('stale@example.com');
    await subscribe('kept@example.com');
    const kept = (await h.subscribers.getByEmail('kept@example.com'))!;
    await h.subscribers.setStatus(kept.id, 'confirmed');
    clock.now = new Date(Date.now() + 8 * 24 * 3600_000);
    await subscribe('trigger@example.com'); // each signup sweeps expired pending records
    expect(await h.subscribers.getByEmail('stale@example.com')).toBeUndefined();
    expect((await h.subscribers.getByEmail('kept@example.com'))!.status).toBe('confirmed');
    expect((await h.subscribers.getByEmail('trigger@example.com'))!.status).toBe('pending');
  });

  it('one requester cannot use up the address: its own person still gets a link', async () => {
    for (let i = 0; i < 5; i++) await subscribe('victim@example.com', { ip: '10.66.0.1' });
    expect(h.sent).toHaveLength(3);
    // The same /64 is the same requester.
    await subscribe('victim@example.com', { ip: '127.0.0.1', xff: '2001:db8:aa:bb::1' });
    await subscribe('victim@example.com', { ip: '127.0.0.1', xff: '2001:db8:aa:bb::2' });
    await subscribe('victim@example.com', { ip: '127.0.0.1', xff: '2001:db8:aa:bb::3' });
    await subscribe('victim@example.com', { ip: '127.0.0.1', xff: '2001:db8:aa:bb::4' });
    expect(h.sent).toHaveLength(6);
    h.sent.length = 0;
    await subscribe('victim@example.com', { ip: '10.7.7.7' });
    expect(h.sent.map((m) => m.to)).toEqual(['victim@example.com']);
  });

  it('a form sent too soon after it was shown, or without its stamp, is a bot', async () => {
    await withHarness(
      'pub-stamp',
      {
        now: () => clock.now,
        limits: { minFormSeconds: 2 },
      },
      async (slow) => {
        const post = (email: string, ts?: string) =>
          postForm(slow.app, '/subscribe', { email, ...(ts ? { ts } : {}) });
        const ts = await formStamp(slow.app);
        const early = await post('early@example.com', ts);
        const none = await post('nostamp@example.com');
        const forged = await post('forged@example.com', `${Date.now() - 60_000}.${'A'.repeat(22)}`);
        for (const r of [early, none, forged]) {
          expect(r.statusCode).toBe(200);
          expect(r.body).toContain('Check your inbox');
        }
        clock.now = new Date(clock.now.getTime() + 3000);
        await post('person@example.com', ts);
        await slow.app.background.drain();
        expect(slow.sent.map((m) => m.to)).toEqual(['person@example.com']);
        expect(await slow.subscribers.getByEmail('early@example.com')).toBeUndefined();
        expect(await slow.subscribers.getByEmail('nostamp@example.com')).toBeUndefined();
      },
    );
  });

  it('per-IP limits count an IPv6 /64 as one client', async () => {
    await withHarness(
      'pub-v6rate',
      {
        limits: { subscribePerIpPerMinute: 2 },
        env: { TRUST_PROXY: '1' },
      },
      async (strict) => {
        const codes = [];
        for (const host of ['1', '2', '3'])
          codes.push(
            (
              await strict.app.inject({
                method: 'POST',
                url: '/api/subscribe',
                remoteAddress: '127.0.0.1',
                headers: { 'x-forwarded-for': `2001:db8:1:2::${host}` },
                payload: { email: `v6-${host}@example.com` },
              })
            ).statusCode,
          );
        expect(codes).toEqual([202, 202, 429]);
      },
    );
  });
});

describe('preferences links from digests', () => {
  it('save and unsubscribe work from any link; data needs a fresh emailed one', async () => {
    await subscribe('data@example.com');
    await confirmVia(h.app, linkIn(h.sent[0], '/confirm'));
    const sub = (await h.subscribers.getByEmail('data@example.com'))!;
    const digestLink = `/preferences?token=${h.tokens.sign('preferences', sub.id)}`;
    const page = await h.app.inject({ url: digestLink });
    expect(page.body).not.toContain('value="download"');
    expect(page.body).toContain('value="data-link"');
    for (const action of ['download', 'delete']) {
      const res = await postForm(h.app, digestLink, { action, confirm: 'yes' });
      expect(res.statusCode).toBe(403);
    }
    expect(await h.subscribers.get(sub.id)).toBeDefined();
    const save = await postForm(h.app, digestLink, { action: 'save', tz: 'Europe/Oslo' });
    expect(save.statusCode).toBe(200);

    h.sent.length = 0;
    await postForm(h.app, digestLink, { action: 'data-link' });
    await h.app.background.drain();
    expect(h.sent).toHaveLength(1);
    const dataLink = linkIn(h.sent[0], '/preferences');
    const download = await postForm(h.app, dataLink, { action: 'download' });
    expect(download.statusCode).toBe(200);
    expect(download.json()).toMatchObject({ email: 'data@example.com', timeZone: 'Europe/Oslo' });
    clock.now = new Date(Date.now() + 25 * 3600_000);
    const late = await postForm(h.app, dataLink, { action: 'delete', confirm: 'yes' });
    expect(late.statusCode).toBe(410);
    expect(await h.subscribers.get(sub.id)).toBeDefined();
  });
});

describe('CSV export', () => {
  it('neutralises every cell that a spreadsheet would run as a formula, addresses too', async () => {
    for (const email of ['=cmd@evil.example', '+sum@evil.example', '-x@evil.example']) {
      await h.subscribers.add({ email, name: '@SUM(1)', status: 'confirmed' });
    }
    const res = await h.app.inject({
      url: '/admin/api/subscribers/export',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    const rows = res.body.trim().split('\n').slice(1);
    const evil = rows.filter((r) => r.includes('evil.example'));
    expect(evil).toHaveLength(3);
    for (const row of evil) {
      const cells = row.split(',');
      expect(cells[0]).toMatch(/^'[=+-]/);
      expect(cells[1]).toBe("'@SUM(1)");
    }
    expect(res.body).not.toMatch(/(^|\n|,)[=+\-@]/);
  });
});

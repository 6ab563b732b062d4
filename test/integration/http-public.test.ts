import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scanKeys } from '../helpers/redis.js';
import {
  confirmVia,
  FORM,
  form,
  formStamp,
  httpHarness,
  linkIn,
  multipart,
  postForm,
  withHarness,
  type Harness,
} from './http-setup.js';

let h: Harness;
beforeAll(async () => {
  h = await httpHarness('pub', { limits: { confirmationsPerAddressPerDay: 3 } });
});
afterAll(async () => h.close());
beforeEach(() => {
  h.sent.length = 0;
});

async function subscribe(email: string, extra: Record<string, string> = {}, ip = '10.0.0.1') {
  const res = await h.app.inject({
    method: 'POST',
    url: '/subscribe',
    headers: { ...FORM, 'user-agent': 'TestAgent/1.0', referer: 'http://localhost:3000/' },
    remoteAddress: ip,
    payload: form({ email, tz: 'Europe/Paris', ts: await formStamp(h.app), ...extra }),
  });
  await h.app.background.drain();
  return res;
}

async function confirmedSubscriber(email: string) {
  await subscribe(email);
  const res = await confirmVia(h.app, linkIn(h.sent.at(-1), '/confirm'));
  expect(res.statusCode).toBe(200);
  const sub = (await h.subscribers.getByEmail(email))!;
  expect(sub.status).toBe('confirmed');
  h.sent.length = 0;
  return sub;
}

describe('GET /', () => {
  it('shows the subscribe form with a honeypot, a tz field and the past digests', async () => {
    await h.storeDigest('2026-01-05', 'sent');
    const res = await h.app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<label for="email">');
    expect(res.body).toContain('name="website"');
    expect(res.body).toContain('name="tz"');
    expect(res.body).toContain('<script src="/assets/tz.js"');
    expect(res.body).toContain('href="/digests/2026-01-05"');
    expect(res.body).toContain('Test Digest');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves the stylesheet with the accent colour and the tz script', async () => {
    const css = await h.app.inject({ url: '/assets/site.css' });
    expect(css.body).toContain('--accent:#1a73e8');
    const js = await h.app.inject({ url: '/assets/tz.js' });
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.body).toContain('resolvedOptions().timeZone');
  });
});

describe('POST /subscribe', () => {
  it('stores a pending subscriber with consent and sends a confirmation with a 48 h link', async () => {
    const res = await subscribe('new@example.com');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Check your inbox');
    const sub = (await h.subscribers.getByEmail('new@example.com'))!;
    expect(sub.status).toBe('pending');
    expect(sub.tz).toBe('Europe/Paris');
    expect(sub.consent).toMatchObject({ ip: '10.0.0.1', userAgent: 'TestAgent/1.0', source: '/' });
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.to).toBe('new@example.com');
    const link = linkIn(h.sent[0], '/confirm');
    const v = h.tokens.verify(
      'confirm',
      link.split('token=')[1]!,
      new Date(Date.now() + 47 * 3600_000),
    );
    expect(v.ok).toBe(true);
    const late = h.tokens.verify(
      'confirm',
      link.split('token=')[1]!,
      new Date(Date.now() + 49 * 3600_000),
    );
    expect(late).toEqual({ ok: false, code: 'TOKEN_EXPIRED' });
  });

  it('answers identically for new, pending, confirmed and unsubscribed addresses', async () => {
    await subscribe('pending@example.com');
    const confirmed = await confirmedSubscriber('confirmed@example.com');
    const gone = await confirmedSubscriber('gone@example.com');
    await h.subscribers.setStatus(gone.id, 'unsubscribed');

    const answers = [];
    const ts = await formStamp(h.app);
    for (const email of [
      'fresh@example.com',
      'pending@example.com',
      'confirmed@example.com',
      'gone@example.com',
    ]) {
      const res = await postForm(h.app, '/subscribe', { email, ts });
      answers.push({ status: res.statusCode, body: res.body, cookie: res.headers['set-cookie'] });
    }
    await h.app.background.drain();
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]!.status).toBe(200);
    // fresh + pending + unsubscribed get a confirmation; confirmed gets nothing.
    expect(h.sent.map((m) => m.to).sort()).toEqual([
      'fresh@example.com',
      'gone@example.com',
      'pending@example.com',
    ]);
    expect((await h.subscribers.get(confirmed.id))!.status).toBe('confirmed');
    // The unsubscribed address stays unsubscribed until the new link is used.
    expect((await h.subscribers.get(gone.id))!.status).toBe('unsubscribed');
    const res = await confirmVia(
      h.app,
      linkIn(
        h.sent.find((m) => m.to === 'gone@example.com'),
        '/confirm',
      ),
    );
    expect(res.statusCode).toBe(200);
    expect((await h.subscribers.get(gone.id))!.status).toBe('confirmed');
  });

  it('answers JSON the same way whatever the state', async () => {
    const a = await h.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: { email: 'json-new@example.com' },
    });
    const b = await h.app.inject({
      method: 'POST',
      url: '/api/subscribe',
      payload: { email: 'confirmed@example.com' },
    });
    await h.app.background.drain();
    expect(a.statusCode).toBe(202);
    expect(a.body).toBe(b.body);
    expect(a.json()).toMatchObject({ ok: true });
  });

  it('sends at most 3 confirmation emails a day to one address', async () => {
    for (let i = 0; i < 5; i++) await subscribe('limit@example.com');
    expect(h.sent.filter((m) => m.to === 'limit@example.com')).toHaveLength(3);
    // SCAN every master: KEYS on a cluster client asks one random node.
    const keys = await scanKeys(h.redis, `${h.keys.rate('confirm', '')}*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(await h.redis.ttl(keys[0]!)).toBeGreaterThan(80_000);
  });

  it('treats a filled honeypot as success and does nothing', async () => {
    const res = await subscribe('bot@example.com', { website: 'http://spam.example' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Check your inbox');
    expect(await h.subscribers.getByEmail('bot@example.com')).toBeUndefined();
    expect(h.sent).toHaveLength(0);
  });

  it.each([
    ['an invalid address', 'not-an-address', 'ADDRESS_INVALID'],
    [
      'a 255-character address',
      `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
      'ADDRESS_TOO_LONG',
    ],
    ['CR/LF in the address', 'a@example.com\r\nBcc: victim@example.com', 'ADDRESS_CONTROL_CHARS'],
    ['no address', '', 'ADDRESS_EMPTY'],
  ])('refuses %s (form: page with the error; JSON: code)', async (_what, email, code) => {
    if (code === 'ADDRESS_TOO_LONG') expect(email.length).toBe(255);
    const page = await postForm(h.app, '/subscribe', { email });
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('role="alert"');
    expect(page.body).not.toContain('<script>alert');
    const json = await h.app.inject({ method: 'POST', url: '/api/subscribe', payload: { email } });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toEqual({ error: { code, message: expect.any(String) } });
    await h.app.background.drain();
    expect(h.sent).toHaveLength(0);
  });

  it('escapes what it echoes back', async () => {
    const res = await postForm(h.app, '/subscribe', { email: '<script>x</script>' });
    expect(res.body).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(res.body).not.toContain('<script>x</script>');
  });

  it('drops CR/LF in the time zone and user agent instead of storing them', async () => {
    await postForm(
      h.app,
      '/subscribe',
      {
        email: 'crlf@example.com',
        tz: 'Europe/Paris\r\nX: y',
        source: '/\r\nevil',
        ts: await formStamp(h.app),
      },
      { headers: { 'user-agent': 'Agent' } },
    );
    await h.app.background.drain();
    const sub = (await h.subscribers.getByEmail('crlf@example.com'))!;
    expect(sub.tz).toBeUndefined();
    expect(JSON.stringify(sub.consent)).not.toMatch(/[\r\n]/);
  });

  it('refuses an oversized body with 413', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/subscribe',
      payload: { email: 'big@example.com', pad: 'x'.repeat(100_000) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('BODY_TOO_LARGE');
  });

  it('rate-limits per IP', async () => {
    await withHarness('pub-rate', { limits: { subscribePerIpPerMinute: 2 } }, async (strict) => {
      const codes = [];
      for (let i = 0; i < 3; i++) {
        const res = await strict.app.inject({
          method: 'POST',
          url: '/api/subscribe',
          remoteAddress: '10.9.9.9',
          payload: { email: `r${i}@example.com` },
        });
        codes.push(res.statusCode);
      }
      expect(codes).toEqual([202, 202, 429]);
      const other = await strict.app.inject({
        method: 'POST',
        url: '/api/subscribe',
        remoteAddress: '10.9.9.8',
        payload: { email: 'o@example.com' },
      });
      expect(other.statusCode).toBe(202);
    });
  });
});

describe('GET /confirm', () => {
  it('confirms, and a second use is harmless', async () => {
    await subscribe('twice@example.com');
    const url = linkIn(h.sent[0], '/confirm');
    const first = await confirmVia(h.app, url);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Subscription confirmed');
    const second = await confirmVia(h.app, url);
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('Already confirmed');
    expect((await h.subscribers.getByEmail('twice@example.com'))!.status).toBe('confirmed');
  });

  it('an altered token changes nothing', async () => {
    await subscribe('altered@example.com');
    const url = linkIn(h.sent[0], '/confirm');
    const last = url.at(-1)!;
    const altered = url.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    const res = await h.app.inject({ url: altered });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('not valid');
    expect((await h.subscribers.getByEmail('altered@example.com'))!.status).toBe('pending');
    const none = await h.app.inject({ url: '/confirm' });
    expect(none.statusCode).toBe(400);
  });

  it('an expired token gets a clear page and changes nothing', async () => {
    await subscribe('expired@example.com');
    const sub = (await h.subscribers.getByEmail('expired@example.com'))!;
    const token = h.tokens.sign('confirm', sub.id, 48 * 3600, Date.now() - 49 * 3600_000);
    const res = await h.app.inject({ url: `/confirm?token=${token}` });
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('expired');
    expect((await h.subscribers.get(sub.id))!.status).toBe('pending');
  });

  it('a token of another purpose does not confirm', async () => {
    await subscribe('purpose@example.com');
    const sub = (await h.subscribers.getByEmail('purpose@example.com'))!;
    const res = await h.app.inject({
      url: `/confirm?token=${h.tokens.sign('unsubscribe', sub.id)}`,
    });
    expect(res.statusCode).toBe(400);
    expect((await h.subscribers.get(sub.id))!.status).toBe('pending');
  });

  it('sends the latest digest as a welcome email when WELCOME_EMAIL is on', async () => {
    await withHarness('pub-welcome', { env: { WELCOME_EMAIL: 'true' } }, async (w) => {
      await w.storeDigest('2026-02-02', 'sent');
      await postForm(w.app, '/subscribe', {
        email: 'welcome@example.com',
        ts: await formStamp(w.app),
      });
      await w.app.background.drain();
      await confirmVia(w.app, linkIn(w.sent[0], '/confirm'));
      await w.app.background.drain();
      expect(w.sent).toHaveLength(2);
      const welcome = w.sent[1]!;
      expect(welcome.subject).toBe('Digest 2026-02-02');
      expect(welcome.html).toMatch(
        /href="http:\/\/localhost:3000\/unsubscribe\?token=[A-Za-z0-9_-]+"/,
      );
      expect(welcome.html).not.toContain('%%');
      // the digest's own headers: List-Id, the subscriber's List-Unsubscribe, the VERP sender
      const unsubscribe = /href="(http:\/\/localhost:3000\/unsubscribe\?token=[^"]+)"/.exec(
        welcome.html,
      )![1];
      expect(welcome.headers?.['List-Unsubscribe']).toBe(`<${unsubscribe}>`);
      expect(welcome.headers?.['List-Id']).toBe('"Test Digest" <test-digest.localhost>');
      expect(welcome.headers?.Precedence).toBe('bulk');
      expect(welcome.headers?.To).toBe('<welcome@example.com>');
      expect(welcome.envelope?.from).toMatch(/^bounces\+[A-Za-z0-9_-]{40}@localhost$/);
      // PUBLIC_URL is http: no one-click POST (RFC 8058 §3)
      expect(welcome.headers?.['List-Unsubscribe-Post']).toBeUndefined();
      const page = await w.app.inject({ url: unsubscribe!.replace('http://localhost:3000', '') });
      expect(page.statusCode).toBe(200);
    });
  });
});

describe('unsubscribe', () => {
  it('GET shows one button and does not unsubscribe', async () => {
    const sub = await confirmedSubscriber('get-unsub@example.com');
    const token = h.tokens.sign('unsubscribe', sub.id);
    const res = await h.app.inject({ url: `/unsubscribe?token=${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`action="/unsubscribe?token=${token}"`);
    expect(res.body.match(/<button/g)).toHaveLength(1);
    expect((await h.subscribers.get(sub.id))!.status).toBe('confirmed');
  });

  it('POST from the page unsubscribes and offers to subscribe again', async () => {
    const sub = await confirmedSubscriber('form-unsub@example.com');
    const res = await h.app.inject({
      method: 'POST',
      url: `/unsubscribe?token=${h.tokens.sign('unsubscribe', sub.id)}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Subscribe again');
    expect((await h.subscribers.get(sub.id))!.status).toBe('unsubscribed');
    // The page's "subscribe again" form carries a preferences token.
    const action = /action="(\/preferences\?token=[A-Za-z0-9_-]+)"/.exec(res.body)![1]!;
    const again = await postForm(h.app, action, { action: 'resubscribe' });
    expect(again.statusCode).toBe(200);
    expect((await h.subscribers.get(sub.id))!.status).toBe('confirmed');
  });

  it('RFC 8058 one-click, form-urlencoded: 200, no redirect, no cookie', async () => {
    const sub = await confirmedSubscriber('oneclick@example.com');
    const res = await h.app.inject({
      method: 'POST',
      url: `/unsubscribe?token=${h.tokens.sign('unsubscribe', sub.id)}`,
      headers: FORM,
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await h.subscribers.get(sub.id))!.status).toBe('unsubscribed');
  });

  it('RFC 8058 one-click, multipart', async () => {
    const sub = await confirmedSubscriber('oneclick-mp@example.com');
    const mp = multipart({ 'List-Unsubscribe': 'One-Click' });
    const res = await h.app.inject({
      method: 'POST',
      url: `/unsubscribe?token=${h.tokens.sign('unsubscribe', sub.id)}`,
      headers: mp.headers,
      payload: mp.body,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await h.subscribers.get(sub.id))!.status).toBe('unsubscribed');
  });

  it('a bad or altered token unsubscribes nobody', async () => {
    const sub = await confirmedSubscriber('keep@example.com');
    const token = h.tokens.sign('unsubscribe', sub.id);
    const altered = token.slice(0, 5) + (token[5] === 'x' ? 'y' : 'x') + token.slice(6);
    for (const url of [
      `/unsubscribe?token=${altered}`,
      '/unsubscribe',
      `/unsubscribe?token=${h.tokens.sign('preferences', sub.id)}`,
    ]) {
      const res = await h.app.inject({
        method: 'POST',
        url,
        headers: FORM,
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(res.statusCode).toBe(400);
    }
    expect((await h.subscribers.get(sub.id))!.status).toBe('confirmed');
  });
});

describe('preferences', () => {
  it('shows the page and saves time zone and pause', async () => {
    const sub = await confirmedSubscriber('prefs@example.com');
    const url = `/preferences?token=${h.tokens.sign('preferences', sub.id)}`;
    const page = await h.app.inject({ url });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('prefs@example.com');
    const res = await postForm(h.app, url, { action: 'save', tz: 'Asia/Tokyo', paused: 'yes' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Saved.');
    const fresh = (await h.subscribers.get(sub.id))!;
    expect(fresh).toMatchObject({ tz: 'Asia/Tokyo', paused: true, status: 'confirmed' });
  });

  it('downloads my data as JSON (with an emailed data link)', async () => {
    const sub = await confirmedSubscriber('download@example.com');
    const res = await postForm(
      h.app,
      `/preferences?token=${h.tokens.sign('preferences', sub.id, 24 * 3600)}`,
      { action: 'download' },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toContain('attachment');
    expect(res.json()).toMatchObject({
      email: 'download@example.com',
      status: 'confirmed',
      consent: { ip: '10.0.0.1' },
    });
  });

  it('deletes me: only a hashed suppression remains, and a new subscribe sends nothing', async () => {
    const sub = await confirmedSubscriber('delete@example.com');
    const url = `/preferences?token=${h.tokens.sign('preferences', sub.id, 24 * 3600)}`;
    const unconfirmed = await postForm(h.app, url, { action: 'delete' });
    expect(unconfirmed.statusCode).toBe(400);
    expect(await h.subscribers.get(sub.id)).toBeDefined();
    const res = await postForm(h.app, url, { action: 'delete', confirm: 'yes' });
    expect(res.statusCode).toBe(200);
    expect(await h.subscribers.get(sub.id)).toBeUndefined();
    expect(await h.subscribers.isSuppressed('delete@example.com')).toBe(true);
    const dump = JSON.stringify(await h.redis.hgetall(h.keys.suppressions));
    expect(dump).not.toContain('delete@example.com');
    const again = await subscribe('delete@example.com');
    expect(again.statusCode).toBe(200);
    expect(h.sent).toHaveLength(0);
    // The old link is dead now.
    expect((await h.app.inject({ url })).statusCode).toBe(400);
  });

  it('refuses a bad action and a bad token', async () => {
    const sub = await confirmedSubscriber('prefs-bad@example.com');
    const url = `/preferences?token=${h.tokens.sign('preferences', sub.id)}`;
    const res = await postForm(h.app, url, { action: 'explode' });
    expect(res.statusCode).toBe(400);
    expect((await h.app.inject({ url: '/preferences?token=nope' })).statusCode).toBe(400);
  });
});

describe('archive', () => {
  it('lists digests that went out and shows one, with nothing per recipient', async () => {
    const post = await h.posts.addManual(
      {
        title: 'Archived post',
        url: 'https://blog.example/archived',
        date: new Date('2026-01-08'),
      },
      new Date('2026-01-09'),
    );
    await h.storeDigest('2026-01-12', 'sending', undefined, [post.id]);
    const list = await h.app.inject({ url: '/digests' });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('href="/digests/weekly/2026-01-12"');
    const one = await h.app.inject({ url: '/digests/weekly/2026-01-12' });
    expect(one.statusCode).toBe(200);
    expect(one.body).toContain('Archived post');
    expect(one.body).not.toContain('%%');
    expect(one.body).not.toMatch(/token=/);
    // A public footer (subscribe), never a recipient's: no "You receive … at you", no unsubscribe.
    expect(one.body).toContain('from the archive');
    expect(one.body).toContain('href="http://localhost:3000/"');
    expect(one.body).not.toMatch(/You receive|\/unsubscribe|\/preferences/);
    expect(String(one.headers['content-security-policy'])).toContain("default-src 'none'");
  });

  it('404s unknown and malformed dates with a page that leaks nothing', async () => {
    for (const url of [
      '/digests/weekly/2030-01-01',
      '/digests/hourly/2026-01-12',
      '/digests/weekly/2026-02-30',
      '/digests/not-a-date',
      '/nowhere',
    ]) {
      const res = await h.app.inject({ url });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).not.toMatch(/stack|node_modules|Error:/);
    }
  });
});

describe('health', () => {
  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    // Five send jobs waiting on the real send queue (no worker runs here).
    await h.services.queues.send.addBulk(
      [1, 2, 3, 4, 5].map((id) => ({
        name: 'send',
        data: { edition: 'weekly/2026-01-05', ids: [id] },
      })),
    );
    h.metrics.recordDelivery('sent', 3);
    h.metrics.observeSmtpReply(0.02, 250);
    const m = await h.app.inject({ url: '/metrics' });
    expect(m.statusCode).toBe(200);
    expect(m.body).toContain('digest_deliveries_total{result="sent"} 3');
    expect(m.body).toContain('digest_smtp_reply_seconds_bucket');
    expect(m.body).toContain('digest_queue_jobs{queue="send",state="waiting"} 5');
    expect(m.body).toMatch(/digest_http_requests_total\{route="\/healthz",status="2xx"\} 1/);
    expect(m.body).toMatch(/digest_digests\{status="(sent|sending)"\} \d/);
  });
});

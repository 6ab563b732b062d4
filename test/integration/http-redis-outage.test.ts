import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { ADMIN_TOKEN, formStamp, httpHarness, postForm, type Harness } from './http-setup.js';

/*
 * Redis down or full, on PRIVATE redis-servers (never the machine's): every request that needs
 * Redis is answered 503 at once (the HTTP client has no offline queue and a command timeout),
 * and the app recovers by itself.
 */
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
const cleanups: (() => Promise<unknown>)[] = [];
/** Stopped after every harness has closed (as a server shuts down while its Redis runs). */
const servers: RedisServer[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  for (const s of servers.reverse()) await s.stop().catch(() => undefined);
});

async function harnessOn(name: string): Promise<{ h: Harness; server: RedisServer }> {
  const server = await startRedisServer({ appendonly: false });
  servers.push(server);
  const h = await httpHarness(name, { redisUrl: server.url });
  cleanups.push(() => h.close());
  return { h, server };
}

const signup = async (h: Harness, email: string) =>
  postForm(h.app, '/subscribe', { email, ts: await formStamp(h.app) });

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('Redis stopped', () => {
  it('answers 503 pages and JSON, keeps /healthz, and recovers when Redis is back', async () => {
    const { h, server } = await harnessOn('outage-stop');
    const ts = await formStamp(h.app);
    await server.stop({ keepData: true });

    const page = await h.app.inject({ url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('try again in a minute');
    const post = await postForm(h.app, '/subscribe', { email: 'down@example.com', ts });
    expect(post.statusCode).toBe(503);
    expect(post.body).not.toContain('Check your inbox');
    const api = await h.app.inject({ url: '/admin/api/digests', headers: bearer });
    expect(api.statusCode).toBe(503);
    expect(api.json().error.code).toBe('SERVICE_UNAVAILABLE');
    // A wrong token cannot be counted: refused (closed), not let through to guess on.
    const wrong = await h.app.inject({
      url: '/admin/api/digests',
      headers: { authorization: 'Bearer wrong-token-0123456789' },
    });
    expect(wrong.statusCode).toBe(503);
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);

    const back = await startRedisServer({ port: server.port, dir: server.dir, appendonly: false });
    servers.push(back);
    await until('readiness', async () =>
      (await h.app.inject({ url: '/readyz' })).statusCode === 200 ? true : undefined,
    );
    const ok = await signup(h, 'back@example.com');
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('Check your inbox');
    expect((await h.subscribers.getByEmail('back@example.com'))?.status).toBe('pending');
  }, 60_000);
});

describe('Redis at maxmemory (noeviction)', () => {
  it('fails signups for every address alike, /readyz says so, the admin still reads', async () => {
    const { h, server } = await harnessOn('outage-oom');
    const confirmed = await h.subscribers.add({ email: 'in@example.com', status: 'confirmed' });
    expect(confirmed.created).toBe(true);
    const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    cleanups.push(async () => admin.disconnect());
    // Data past the limit: a megabyte stored, then maxmemory set below what is used (with
    // noeviction nothing is evicted, so every write that needs memory is refused).
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 16; i++) await admin.set(`filler:${i}`, chunk);
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    await admin.config('SET', 'maxmemory', String(used - 512 * 1024));
    const refused = await admin.set('probe', 'x').then(
      () => false,
      (err: Error) => /^OOM/.test(err.message),
    );
    expect(refused).toBe(true);

    const ready = await h.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().error.message).toMatch(/OOM/);
    const ts = await formStamp(h.app);
    const answers = [];
    for (const email of ['new@example.com', 'in@example.com']) {
      const res = await postForm(h.app, '/subscribe', { email, ts });
      answers.push({ status: res.statusCode, body: res.body });
    }
    expect(answers[0]!.status).toBe(503);
    expect(answers[0]!.body).toContain('try again in a minute');
    expect(answers[1]).toEqual(answers[0]);
    expect(await h.subscribers.getByEmail('new@example.com')).toBeUndefined();
    await h.app.background.drain();
    expect(h.sent).toHaveLength(0);
    // Failed admin logins cannot be counted: refused. The right token only reads: let in.
    const wrong = await h.app.inject({
      url: '/admin/api/digests',
      headers: { authorization: 'Bearer wrong-token-0123456789' },
    });
    expect(wrong.statusCode).toBe(503);
    expect((await h.app.inject({ url: '/admin/api/digests', headers: bearer })).statusCode).toBe(
      200,
    );

    for (let i = 0; i < 16; i++) await admin.del(`filler:${i}`);
    await admin.config('SET', 'maxmemory', '0');
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await signup(h, 'new@example.com')).statusCode).toBe(200);
    expect((await h.subscribers.getByEmail('new@example.com'))?.status).toBe('pending');
  }, 60_000);
});

describe('slow requests', () => {
  it('a POST body that trickles in is cut off with 408 and the socket closed', async () => {
    const h = await httpHarness('slow-body', {
      limits: { requestTimeoutMs: 1000, timeoutCheckMs: 200 },
    });
    cleanups.push(() => h.close());
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    let sent = 0;
    socket.on('data', (d) => (reply += d.toString()));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      'POST /api/subscribe HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{',
    );
    // One byte every 100 ms: would take 100 s to finish; the loop is bounded either way.
    for (let i = 0; i < 600 && !socket.destroyed && !reply; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!socket.destroyed) socket.write(' ', () => undefined);
      sent++;
    }
    const closedByServer = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
    ]);
    socket.destroy();
    expect(closedByServer, `sent ${sent} bytes, got: ${reply}`).toBe(true);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(sent).toBeLessThan(999);
    expect(await h.subscribers.getByEmail('a@example.com')).toBeUndefined();
  }, 90_000);

  it('public forms take small bodies only', async () => {
    const h = await httpHarness('small-bodies');
    cleanups.push(() => h.close());
    const big = await h.app.inject({
      method: 'POST',
      url: '/api/subscribe',
      payload: { email: 'a@example.com', source: 'x'.repeat(9000) },
    });
    expect(big.statusCode).toBe(413);
    const login = await postForm(h.app, '/admin/login', { token: 'x'.repeat(5000) });
    expect(login.statusCode).toBe(413);
  });
});

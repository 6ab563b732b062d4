import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, ValidationError } from '../../errors.js';
import { normaliseAddress } from '../../subscribers/address.js';
import { importSubscribers, type ImportSummary } from '../../subscribers/import-csv.js';
import type { HttpContext } from '../app.js';
import { toPublicError } from '../http-errors.js';
import {
  dashboardPage,
  feedsPage,
  previewPage,
  subscribersPage,
  triggerPage,
} from '../pages/admin-pages.js';
import { DateParams, FeedUrlBody, SubscribersQuery } from '../schemas.js';
import { guardAdminPages } from './admin-session.js';

const HTML = 'text/html; charset=utf-8';
const FLASH = 'digest_flash';

/**
 * Redirect after a POST (no resubmit on reload) with a message for the next page. The message
 * travels in a short-lived cookie, not the URL, so nobody can make a link that shows an admin
 * a text of their choosing.
 */
function back(reply: FastifyReply, path: string, msg: string, kind: 'ok' | 'error' = 'ok') {
  reply.setCookie(FLASH, `${kind}:${msg.slice(0, 300)}`, {
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict',
    maxAge: 60,
  });
  return reply.redirect(path, 303);
}

/** Reads and clears the flash message. */
function flash(req: FastifyRequest, reply: FastifyReply): { message?: string; error?: string } {
  const v = req.cookies[FLASH];
  if (!v) return {};
  reply.clearCookie(FLASH, { path: '/admin' });
  return v.startsWith('error:') ? { error: v.slice(6) } : { message: v.replace(/^ok:/, '') };
}

/** Admin pages under /admin: dashboard, trigger, preview, subscribers, feeds. */
export function registerAdminPages(app: FastifyInstance, ctx: HttpContext): void {
  guardAdminPages(app, ctx);
  const { site, digests, subscribers } = ctx;
  const send = (reply: FastifyReply, page: string) =>
    reply.type(HTML).header('cache-control', 'no-store').send(page);

  app.get('/', async (req, reply) => {
    const [next, list, counts] = await Promise.all([
      digests.next(),
      digests.list(10),
      subscribers.counts(),
    ]);
    const { message, error } = flash(req, reply);
    return send(
      reply,
      dashboardPage(site, {
        csrf: req.admin!.csrf,
        next,
        digests: list,
        counts,
        message: message ?? error,
      }),
    );
  });

  app.get('/trigger', async (req, reply) => {
    const q = z.object({ date: z.string().max(20).optional() }).parse(req.query);
    const next = await digests.next();
    const date = q.date || next.date;
    const existing = await digests.summary(date);
    const posts =
      date === next.date ? next.posts.length : (await digests.preview(date)).posts.length;
    return send(reply, triggerPage(site, { csrf: req.admin!.csrf, date, posts, existing }));
  });

  app.post('/trigger', async (req, reply) => {
    const body = z.object({ date: z.string().max(20).optional() }).parse(req.body ?? {});
    const out = await digests.trigger(body.date || undefined);
    return back(
      reply,
      '/admin',
      out.created
        ? `The digest of ${out.date} is being built and sent.`
        : `The digest of ${out.date} was already started.`,
    );
  });

  app.get('/digests/:date/preview', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const p = await digests.preview(date);
    const { message, error } = flash(req, reply);
    return send(
      reply,
      previewPage(site, {
        csrf: req.admin!.csrf,
        date,
        subject: p.subject,
        text: p.text,
        empty: p.empty,
        posts: p.posts.length,
        message,
        error,
      }),
    );
  });

  app.post('/digests/:date/test', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const { email } = z.object({ email: z.string().max(1000) }).parse(req.body ?? {});
    const path = `/admin/digests/${encodeURIComponent(date)}/preview`;
    try {
      await digests.testSend(date, email);
    } catch (err) {
      const e = toPublicError(err);
      if (e.status >= 500) throw err;
      return back(reply, path, e.message, 'error');
    }
    return back(reply, path, 'Test sent.');
  });

  app.get('/subscribers', async (req, reply) => {
    const q = SubscribersQuery.parse(req.query);
    const { message, error } = flash(req, reply);
    const status = q.status || undefined;
    const search = q.search?.trim() || undefined;
    const [page, counts] = await Promise.all([
      subscribers.list({ status, search, afterId: q.after, cursor: q.cursor, limit: 50 }),
      subscribers.counts(),
    ]);
    const params = new URLSearchParams();
    if (status) params.set('status', status);
    if (search) params.set('search', search);
    if (page.nextCursor) params.set('cursor', page.nextCursor);
    else if (page.nextAfterId !== undefined) params.set('after', String(page.nextAfterId));
    const more = page.nextCursor !== undefined || page.nextAfterId !== undefined;
    return send(
      reply,
      subscribersPage(site, {
        csrf: req.admin!.csrf,
        subscribers: page.subscribers,
        counts,
        status,
        search,
        nextHref: more ? `/admin/subscribers?${params}` : undefined,
        message: message ?? error,
      }),
    );
  });

  app.post('/subscribers', async (req, reply) => {
    const body = z
      .object({ email: z.string().max(1000), confirmed: z.string().max(10).optional() })
      .parse(req.body ?? {});
    const addr = normaliseAddress(body.email);
    if (!addr.ok) throw new ValidationError(addr.code, addr.message);
    const out = await subscribers.add({
      email: addr.email,
      status: body.confirmed === 'yes' ? 'confirmed' : 'pending',
    });
    return back(
      reply,
      '/admin/subscribers',
      out.created ? `Added ${addr.email}.` : `${addr.email} was already there.`,
    );
  });

  app.post('/subscribers/:id/delete', async (req, reply) => {
    const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
    const removed = await subscribers.remove(id);
    return back(
      reply,
      '/admin/subscribers',
      removed ? `Deleted subscriber ${id}.` : `There was no subscriber ${id}.`,
    );
  });

  app.post('/subscribers/import', async (req, reply) => {
    const file = (req.body as Record<string, unknown> | undefined)?.file;
    if (!Buffer.isBuffer(file))
      throw new ValidationError('IMPORT_FILE_MISSING', 'Choose a CSV file to import.');
    const report = await importSubscribers({ store: subscribers }, Readable.from([file]));
    return back(reply, '/admin/subscribers', importMessage(report));
  });

  app.get('/feeds', async (req, reply) => {
    const { message, error } = flash(req, reply);
    return send(
      reply,
      feedsPage(site, {
        csrf: req.admin!.csrf,
        feeds: await ctx.feeds.list(),
        message: message ?? error,
      }),
    );
  });

  app.post('/feeds', async (req, reply) => {
    const { url } = FeedUrlBody.parse(req.body ?? {});
    const feed = await ctx.feeds.add(url);
    return back(
      reply,
      '/admin/feeds',
      `Added ${feed.url}. It is fetched at the next ingest; use "Fetch all feeds now" to fetch it at once.`,
    );
  });

  app.post('/feeds/remove', async (req, reply) => {
    const { url } = z.object({ url: z.string().min(1).max(2000) }).parse(req.body ?? {});
    const removed = await ctx.feeds.remove(url);
    if (!removed) throw new AppError('FEED_NOT_FOUND', 'There is no such feed.', 404);
    return back(reply, '/admin/feeds', `Removed ${url}.`);
  });

  app.post('/feeds/ingest', async (_req, reply) => {
    const results = await ctx.ingest.ingestAll();
    const ok = results.filter((r) => r.ok);
    const added = ok.reduce((n, r) => n + (r.ok ? r.new : 0), 0);
    return back(
      reply,
      '/admin/feeds',
      `Fetched ${ok.length} of ${results.length} feed(s): ${added} new post(s).`,
    );
  });
}

function importMessage(r: ImportSummary): string {
  return (
    `Imported ${r.rows} row(s): ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ` +
    `${r.suppressed} suppressed, ${r.invalidCount} invalid.`
  );
}

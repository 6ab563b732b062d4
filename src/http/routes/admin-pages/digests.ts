import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpContext } from '../../http-context.js';
import { toPublicError } from '../../http-errors.js';
import { dashboardPage, previewPage, triggerPage } from '../../pages/admin-pages.js';
import { DateParams } from '../../schemas.js';
import { back, flash, sendPage } from './respond.js';

/** The dashboard, the trigger page, and a digest's preview and test send. */
export function registerDigestPages(app: FastifyInstance, ctx: HttpContext): void {
  const { site, digests, subscribers } = ctx;

  app.get('/', async (req, reply) => {
    const [next, list, counts] = await Promise.all([
      digests.next(),
      digests.list(10),
      subscribers.counts(),
    ]);
    const { message, error } = flash(req, reply);
    return sendPage(
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
    return sendPage(reply, triggerPage(site, { csrf: req.admin!.csrf, date, posts, existing }));
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
    return sendPage(
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
}

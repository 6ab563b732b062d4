import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../../errors.js';
import type { HttpContext } from '../../http-context.js';
import { feedsPage } from '../../pages/admin-pages.js';
import { FeedUrlBody } from '../../schemas.js';
import { back, flash, sendPage } from './respond.js';

/** The feeds page: list, add, remove, fetch all now. */
export function registerFeedPages(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/feeds', async (req, reply) => {
    const { message, error } = flash(req, reply);
    return sendPage(
      reply,
      feedsPage(ctx.site, {
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
    if (!removed) throw new NotFoundError('FEED_NOT_ADDED', 'There is no such feed.');
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

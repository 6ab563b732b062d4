import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../../errors.js';
import { addFeed } from '../../../feeds/add-feed.js';
import { FeedError } from '../../../feeds/feed-error.js';
import type { HttpContext } from '../../http-context.js';
import { feedsPage } from '../../pages/admin-feeds.js';
import { FeedUrlBody, wantsCheck } from '../../schemas.js';
import { back, flash, sendPage } from './respond.js';

/**
 * The feeds page: list, add (fetched first; a page with several feeds lets the admin choose),
 * remove, and "Fetch all feeds now" as a job whose progress the page follows.
 */
export function registerFeedPages(app: FastifyInstance, ctx: HttpContext): void {
  const show = async (
    req: FastifyRequest,
    extra: Partial<Parameters<typeof feedsPage>[1]> = {},
  ) => {
    const q = z.object({ job: z.string().max(100).optional() }).parse(req.query);
    return feedsPage(ctx.site, {
      csrf: req.admin!.csrf,
      tz: ctx.config.digest.tz,
      feeds: await ctx.feeds.list(),
      job: q.job ? await ctx.ingestJobs.get(q.job) : undefined,
      ...extra,
    });
  };

  app.get('/feeds', async (req, reply) => {
    const { message, error } = flash(req, reply);
    return sendPage(reply, await show(req, { message, error }));
  });

  app.post('/feeds', async (req, reply) => {
    const body = FeedUrlBody.parse(req.body ?? {});
    let res;
    try {
      res = await addFeed(ctx, body.url, { check: wantsCheck(body.check) });
    } catch (err) {
      // The feed's fault, not ours: say why on the page, with the URL kept in the field.
      if (!(err instanceof FeedError)) throw err;
      return sendPage(
        reply.code(422),
        await show(req, { error: `Not added: ${err.message}`, url: body.url }),
      );
    }
    if (!res.added) {
      return sendPage(reply, await show(req, { choices: { page: res.page, feeds: res.choices } }));
    }
    const what = res.title ? ` ("${res.title}")` : '';
    const from = res.discoveredFrom ? ` (found on ${res.discoveredFrom})` : '';
    return back(
      reply,
      '/admin/feeds',
      `Added ${res.feed.url}${what}${from}. Use "Fetch all feeds now" to fetch its posts at once.`,
    );
  });

  app.post('/feeds/remove', async (req, reply) => {
    const { url } = z.object({ url: z.string().min(1).max(2000) }).parse(req.body ?? {});
    const removed = await ctx.feeds.remove(url);
    if (!removed) throw new NotFoundError('FEED_NOT_ADDED', 'There is no such feed.');
    return back(reply, '/admin/feeds', `Removed ${url}.`);
  });

  app.post('/feeds/ingest', async (_req, reply) => {
    const id = await ctx.ingestJobs.start();
    return reply.redirect(`/admin/feeds?job=${encodeURIComponent(id)}`, 303);
  });
}

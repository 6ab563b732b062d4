import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../../errors.js';
import type { HttpContext } from '../../http-context.js';
import { FeedUrlBody } from '../../schemas.js';

/** `/admin/api/feeds`: list, add, remove, ingest now. */
export function registerFeedApi(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/feeds', async () => ({ feeds: await ctx.feeds.list() }));

  app.post('/feeds', async (req, reply) => {
    const { url } = FeedUrlBody.parse(req.body ?? {});
    return reply.code(201).send(await ctx.feeds.add(url));
  });

  app.delete('/feeds', async (req, reply) => {
    const { url } = z.object({ url: z.string().min(1).max(2000) }).parse(req.query);
    if (!(await ctx.feeds.remove(url)))
      throw new NotFoundError('FEED_NOT_ADDED', 'There is no such feed.');
    return reply.code(204).send();
  });

  app.post('/feeds/ingest', async () => ({ results: await ctx.ingest.ingestAll() }));
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../../errors.js';
import { addFeed } from '../../../feeds/add-feed.js';
import type { HttpContext } from '../../http-context.js';
import { FeedUrlBody, wantsCheck } from '../../schemas.js';

/**
 * `/admin/api/feeds`: list, add (fetched and parsed first unless `check: false`; a page that
 * links to several feeds answers 300 with the choices), remove, ingest now (synchronous), and
 * the progress of an ingest job started from the feeds page.
 */
export function registerFeedApi(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/feeds', async () => ({ feeds: await ctx.feeds.list() }));

  app.post('/feeds', async (req, reply) => {
    const body = FeedUrlBody.parse(req.body ?? {});
    const res = await addFeed(ctx, body.url, { check: wantsCheck(body.check) });
    if (!res.added) return reply.code(300).send({ page: res.page, choices: res.choices });
    return reply.code(201).send({
      ...res.feed,
      ...(res.title ? { title: res.title } : {}),
      ...(res.discoveredFrom ? { discoveredFrom: res.discoveredFrom } : {}),
    });
  });

  app.delete('/feeds', async (req, reply) => {
    const { url } = z.object({ url: z.string().min(1).max(2000) }).parse(req.query);
    if (!(await ctx.feeds.remove(url)))
      throw new NotFoundError('FEED_NOT_ADDED', 'There is no such feed.');
    return reply.code(204).send();
  });

  app.post('/feeds/ingest', async () => ({ results: await ctx.ingest.ingestAll() }));

  app.get('/feeds/ingest/:id', async (req) => {
    const { id } = z.object({ id: z.string().min(1).max(100) }).parse(req.params);
    const job = await ctx.ingestJobs.get(id);
    if (!job) throw new NotFoundError('INGEST_JOB_NOT_FOUND', 'There is no such ingest job.');
    return job;
  });
}

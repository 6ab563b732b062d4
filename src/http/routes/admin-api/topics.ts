import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpContext } from '../../http-context.js';

const TopicBody = z.object({
  name: z.string().max(200),
  /** Feed URLs (or paths) as the feed list shows them. */
  feeds: z.array(z.string().max(2000)).max(100).optional(),
  categories: z.array(z.string().max(200)).max(100).optional(),
});

/**
 * `/admin/api/topics`: list (with removals that stopped part-way), add `{name, feeds?,
 * categories?}` (201; 400 naming the problem, 409 for a taken name), remove `?name=` (200 with
 * how many subscribers had chosen it; a stopped removal is finished by the same call).
 */
export function registerTopicApi(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/topics', async () => {
    const [topics, unfinished] = await Promise.all([ctx.topics.list(), ctx.topics.unfinished()]);
    return { topics, unfinished };
  });

  app.post('/topics', async (req, reply) => {
    const body = TopicBody.parse(req.body ?? {});
    return reply.code(201).send(await ctx.topics.add(body));
  });

  app.delete('/topics', async (req) => {
    const { name } = z.object({ name: z.string().min(1).max(200) }).parse(req.query);
    return ctx.topics.remove(name);
  });
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { removalWords } from '../../../topics/topic-words.js';
import type { HttpContext } from '../../http-context.js';
import { topicsPage, type TopicsPageInput } from '../../pages/admin-topics.js';
import { back, flash, sendPage } from './respond.js';

const AddForm = z.object({
  name: z.string().max(200).default(''),
  /** One checkbox per feed: absent, one value, or several. */
  feed: z
    .union([z.string().max(2000), z.array(z.string().max(2000)).max(100)])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  categories: z.string().max(2000).default(''),
});

/** The topics page: list, add (feeds chosen from the feed list, categories typed), remove. */
export function registerTopicPages(app: FastifyInstance, ctx: HttpContext): void {
  const show = async (req: FastifyRequest, extra: Partial<TopicsPageInput> = {}) => {
    const [topics, feeds, unfinished] = await Promise.all([
      ctx.topics.list(),
      ctx.feeds.list(),
      ctx.topics.unfinished(),
    ]);
    return topicsPage(ctx.site, { csrf: req.admin!.csrf, topics, feeds, unfinished, ...extra });
  };

  app.get('/topics', async (req, reply) => {
    const { message, error } = flash(req, reply);
    return sendPage(reply, await show(req, { message, error }));
  });

  app.post('/topics', async (req, reply) => {
    const body = AddForm.parse(req.body ?? {});
    const categories = body.categories.split(',').filter((c) => c.trim() !== '');
    try {
      const t = await ctx.topics.add({ name: body.name, feeds: body.feed, categories });
      return back(reply, '/admin/topics', `Added the topic ${t.name}.`);
    } catch (err) {
      // The admin's to fix (a bad name, a taken one, nothing to match): say so, keep the form.
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return sendPage(
        reply.code(err.status === 409 ? 409 : 422),
        await show(req, {
          error: `Not added: ${err.message}.`,
          form: { name: body.name, feeds: body.feed, categories: body.categories },
        }),
      );
    }
  });

  app.post('/topics/remove', async (req, reply) => {
    const { name } = z.object({ name: z.string().min(1).max(200) }).parse(req.body ?? {});
    const done = await ctx.topics.remove(name);
    return back(reply, '/admin/topics', removalWords(done.name, done.subscribers));
  });
}

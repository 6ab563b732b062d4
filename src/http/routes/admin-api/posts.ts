import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { HttpUrl } from '../../../http-url.js';
import type { HttpContext } from '../../http-context.js';

const AddPostBody = z
  .object({
    title: z.string().trim().min(1).max(500),
    url: HttpUrl,
    date: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    summary: z.string().max(2000).optional(),
  })
  .strict();

/** `/admin/api/posts`: list, add by hand. */
export function registerPostApi(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/posts', async (req) => {
    const q = z
      .object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        offset: z.coerce.number().int().min(0).default(0),
      })
      .parse(req.query);
    return ctx.posts.list(q);
  });

  app.post('/posts', async (req, reply) => {
    const body = AddPostBody.parse(req.body ?? {});
    const date = body.date ? new Date(body.date) : undefined;
    if (date && Number.isNaN(date.getTime()))
      throw new AppError('VALIDATION_FAILED', 'date: not a date');
    const post = await ctx.posts.addManual(
      { title: body.title, url: body.url, date, summary: body.summary },
      ctx.now(),
    );
    return reply.code(201).send(post);
  });
}

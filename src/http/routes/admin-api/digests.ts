import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, NotFoundError, ValidationError } from '../../errors.js';
import { normaliseAddress } from '../../subscribers/address.js';
import { exportSubscribersCsv } from '../../subscribers/export-csv.js';
import { importSubscribers } from '../../subscribers/import-csv.js';
import { SUBSCRIBER_STATUSES } from '../../subscribers/subscriber.js';
import type { HttpContext } from '../app.js';
import { DateParams, FeedUrlBody, SubscribersQuery } from '../schemas.js';
import { guardAdminApi } from './admin-session.js';
import { DIGEST_CSP } from './public-archive.js';

const TriggerBody = z.object({ date: z.string().max(20).optional() }).strict();
const TestBody = z.object({ email: z.string().max(1000) }).strict();
const AddSubscriberBody = z
  .object({
    email: z.string().max(1000),
    name: z.string().max(200).optional(),
    status: z.enum(SUBSCRIBER_STATUSES).optional(),
    tz: z.string().max(100).optional(),
  })
  .strict();
const AddPostBody = z
  .object({
    title: z.string().trim().min(1).max(500),
    url: z
      .string()
      .trim()
      .max(2000)
      .regex(/^https?:\/\/\S+$/i, 'must be an http(s) URL'),
    date: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    summary: z.string().max(2000).optional(),
  })
  .strict();
const SuppressionBody = z
  .object({ email: z.string().max(1000), reason: z.enum(['bounced', 'complained', 'manual']) })
  .strict();

function address(email: string): string {
  const a = normaliseAddress(email);
  if (!a.ok) throw new ValidationError(a.code, a.message);
  return a.email;
}

/** The admin JSON API under /admin/api. Errors: `{ error: { code, message } }`. */
export function registerAdminApi(app: FastifyInstance, ctx: HttpContext): void {
  guardAdminApi(app, ctx);
  const { digests, subscribers } = ctx;

  // CSV imports arrive as a raw text/csv body (or multipart with a `file` field).
  app.addContentTypeParser(
    ['text/csv', 'application/csv'],
    { parseAs: 'buffer', bodyLimit: ctx.limits.importLimit },
    (_req, body, done) => done(null, body),
  );

  // Digests
  app.get('/digests', async (req) => {
    const { limit } = z
      .object({ limit: z.coerce.number().int().min(1).max(100).default(20) })
      .parse(req.query);
    return { digests: await digests.list(limit) };
  });

  app.get('/digests/next', async () => digests.next());

  app.post('/digests', async (req, reply) => {
    const { date } = TriggerBody.parse(req.body ?? {});
    return reply.code(202).send(await digests.trigger(date));
  });

  app.get('/digests/:date', async (req) => {
    const { date } = DateParams.parse(req.params);
    const s = await digests.summary(date);
    if (!s) throw new NotFoundError('DIGEST_NOT_FOUND', `No digest for ${date}.`);
    return s;
  });

  app.get('/digests/:date/preview', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const { format } = z
      .object({ format: z.enum(['html', 'text']).default('html') })
      .parse(req.query);
    const p = await digests.preview(date);
    reply.header('cache-control', 'no-store');
    if (format === 'text') return reply.type('text/plain; charset=utf-8').send(p.text);
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DIGEST_CSP)
      .send(p.html);
  });

  app.post('/digests/:date/test', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const { email } = TestBody.parse(req.body ?? {});
    await digests.testSend(date, address(email));
    return reply.code(202).send({ ok: true });
  });

  // Subscribers
  app.get('/subscribers', async (req) => {
    const q = SubscribersQuery.parse(req.query);
    const [page, counts] = await Promise.all([
      subscribers.list({
        status: q.status || undefined,
        search: q.search?.trim() || undefined,
        afterId: q.after,
        cursor: q.cursor,
        limit: q.limit,
      }),
      subscribers.counts(),
    ]);
    return {
      subscribers: page.subscribers,
      next: { after: page.nextAfterId, cursor: page.nextCursor },
      counts,
    };
  });

  app.post('/subscribers', async (req, reply) => {
    const body = AddSubscriberBody.parse(req.body ?? {});
    const out = await subscribers.add({ ...body, email: address(body.email) });
    return reply.code(out.created ? 201 : 200).send(out);
  });

  app.get('/subscribers/export', async (_req, reply) => {
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="subscribers.csv"')
      .header('cache-control', 'no-store')
      .send(Readable.from(exportSubscribersCsv(subscribers)));
  });

  app.post('/subscribers/import', { bodyLimit: ctx.limits.importLimit }, async (req) => {
    const { status } = z
      .object({ status: z.enum(SUBSCRIBER_STATUSES).optional() })
      .parse(req.query);
    const body = req.body as unknown;
    const file = Buffer.isBuffer(body)
      ? body
      : Buffer.isBuffer((body as Record<string, unknown>)?.file)
        ? (body as { file: Buffer }).file
        : undefined;
    if (!file)
      throw new ValidationError(
        'IMPORT_FILE_MISSING',
        'Send the CSV as a text/csv body or as the multipart field "file".',
      );
    return importSubscribers({ store: subscribers }, Readable.from([file]), {
      defaultStatus: status,
    });
  });

  app.delete('/subscribers/:id', async (req, reply) => {
    const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
    if (!(await subscribers.remove(id)))
      throw new NotFoundError('SUBSCRIBER_NOT_FOUND', `No subscriber ${id}.`);
    return reply.code(204).send();
  });

  app.post('/suppressions', async (req) => {
    const { email, reason } = SuppressionBody.parse(req.body ?? {});
    await subscribers.suppress(address(email), reason);
    return { ok: true };
  });

  // Feeds and posts
  app.get('/feeds', async () => ({ feeds: await ctx.feeds.list() }));

  app.post('/feeds', async (req, reply) => {
    const { url } = FeedUrlBody.parse(req.body ?? {});
    return reply.code(201).send(await ctx.feeds.add(url));
  });

  app.delete('/feeds', async (req, reply) => {
    const { url } = z.object({ url: z.string().min(1).max(2000) }).parse(req.query);
    if (!(await ctx.feeds.remove(url)))
      throw new NotFoundError('FEED_NOT_FOUND', 'There is no such feed.');
    return reply.code(204).send();
  });

  app.post('/feeds/ingest', async () => ({ results: await ctx.ingest.ingestAll() }));

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

import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../../errors.js';
import { requireAddress } from '../../../subscribers/address.js';
import { exportSubscribersCsv } from '../../../subscribers/export-csv.js';
import { importSubscribers } from '../../../subscribers/import-csv.js';
import { checkChoice } from '../../../subscribers/delivery-choice.js';
import { SUBSCRIBER_STATUSES } from '../../../subscribers/subscriber.js';
import type { HttpContext } from '../../http-context.js';
import { SubscribersQuery } from '../../schemas.js';
import { siteChoices } from '../delivery-form.js';

/** Topic names: an array, or one string of names separated by `,`. */
const TopicsField = z.union([z.string().max(2000), z.array(z.string().max(100)).max(100)]);

const AddSubscriberBody = z
  .object({
    email: z.string().max(1000),
    name: z.string().max(200).optional(),
    status: z.enum(SUBSCRIBER_STATUSES).optional(),
    tz: z.string().max(100).optional(),
    frequency: z.string().max(20).nullable().optional(),
    topics: TopicsField.nullable().optional(),
  })
  .strict();
/** A subscriber's frequency and topics: null (or '' / []) back to the default / every post. */
const DeliveryBody = z
  .object({
    frequency: z.string().max(20).nullable().optional(),
    topics: TopicsField.nullable().optional(),
  })
  .strict();
const SuppressionBody = z
  .object({ email: z.string().max(1000), reason: z.enum(['bounced', 'complained', 'manual']) })
  .strict();

/** `GET /subscribers` (a page, filtered by status and address) and `POST /subscribers` (add one). */
function registerListAndAdd(app: FastifyInstance, ctx: HttpContext): void {
  const { subscribers } = ctx;
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
    const { frequency, topics, ...body } = AddSubscriberBody.parse(req.body ?? {});
    const choice = checkChoice({ frequency, topics }, await siteChoices(ctx));
    if (!choice.ok) throw new ValidationError('SUBSCRIBER_CHOICE_INVALID', choice.message);
    const out = await subscribers.add({
      ...body,
      email: requireAddress(body.email),
      frequency: choice.value.frequency ?? undefined,
      topics: choice.value.topics ?? undefined,
    });
    return reply.code(out.created ? 201 : 200).send(out);
  });
}

/** `PATCH /subscribers/:id` (frequency, topics), `DELETE /subscribers/:id`, `POST /suppressions`. */
function registerChanges(app: FastifyInstance, ctx: HttpContext): void {
  const { subscribers } = ctx;
  /** Sets a subscriber's frequency and/or topics; from their next digest on. */
  app.patch('/subscribers/:id', async (req) => {
    const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
    const choice = checkChoice(DeliveryBody.parse(req.body ?? {}), await siteChoices(ctx));
    if (!choice.ok) throw new ValidationError('SUBSCRIBER_CHOICE_INVALID', choice.message);
    await subscribers.update(id, choice.value); // SUBSCRIBER_NOT_FOUND (404) for a missing id
    return { subscriber: await subscribers.get(id) };
  });

  app.delete('/subscribers/:id', async (req, reply) => {
    const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
    if (!(await subscribers.remove(id)))
      throw new NotFoundError('SUBSCRIBER_NOT_FOUND', `No subscriber ${id}.`);
    return reply.code(204).send();
  });

  app.post('/suppressions', async (req) => {
    const { email, reason } = SuppressionBody.parse(req.body ?? {});
    await subscribers.suppress(requireAddress(email), reason);
    return { ok: true };
  });
}

/** `GET /subscribers/export` and `POST /subscribers/import` (a text/csv body or multipart). */
function registerCsv(app: FastifyInstance, ctx: HttpContext): void {
  const { subscribers } = ctx;
  // CSV imports arrive as a raw text/csv body (or multipart with a `file` field).
  app.addContentTypeParser(
    ['text/csv', 'application/csv'],
    { parseAs: 'buffer', bodyLimit: ctx.limits.importLimit },
    (_req, body, done) => done(null, body),
  );

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
    const file = csvFile(req.body);
    if (!file)
      throw new ValidationError(
        'IMPORT_FILE_MISSING',
        'Send the CSV as a text/csv body or as the multipart field "file".',
      );
    const choices = await siteChoices(ctx);
    return importSubscribers({ store: subscribers, choices }, Readable.from([file]), {
      defaultStatus: status,
    });
  });
}

/** `/admin/api/subscribers` (list, add, set frequency/topics, export, import, delete) and `/admin/api/suppressions`. */
export function registerSubscriberApi(app: FastifyInstance, ctx: HttpContext): void {
  registerCsv(app, ctx);
  registerListAndAdd(app, ctx);
  registerChanges(app, ctx);
}

/** The CSV of an import: a raw text/csv body, or the multipart field `file`. */
function csvFile(body: unknown): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body;
  const file = (body as Record<string, unknown> | undefined)?.file;
  return Buffer.isBuffer(file) ? file : undefined;
}

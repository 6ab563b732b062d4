import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../../../errors.js';
import { requireAddress } from '../../../subscribers/address.js';
import {
  ImportInterruptedError,
  importSubscribers,
  type ImportSummary,
} from '../../../subscribers/import-csv.js';
import type { HttpContext } from '../../http-context.js';
import { subscribersPage } from '../../pages/admin-subscribers.js';
import { SubscribersQuery } from '../../schemas.js';
import { siteChoices } from '../delivery-form.js';
import { checkChoice } from '../../../subscribers/delivery-choice.js';
import { back, flash, sendPage } from './respond.js';

/** The frequency and topics fields of the admin forms: topics as names separated by `,`. */
const DeliveryFields = {
  frequency: z.string().max(20).optional(),
  topics: z.string().max(2000).optional(),
};

type PageExtra = { message?: string; error?: string; importReport?: ImportSummary };

/** The subscribers page for the request's filter and page, with a link to the next page. */
async function subscribersView(ctx: HttpContext, req: FastifyRequest, extra: PageExtra = {}) {
  const q = SubscribersQuery.parse(req.query);
  const status = q.status || undefined;
  const search = q.search?.trim() || undefined;
  const [page, counts] = await Promise.all([
    ctx.subscribers.list({ status, search, afterId: q.after, cursor: q.cursor, limit: 50 }),
    ctx.subscribers.counts(),
  ]);
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (search) params.set('search', search);
  if (page.nextCursor) params.set('cursor', page.nextCursor);
  else if (page.nextAfterId !== undefined) params.set('after', String(page.nextAfterId));
  const more = page.nextCursor !== undefined || page.nextAfterId !== undefined;
  const choices = await siteChoices(ctx);
  return subscribersPage(ctx.site, {
    csrf: req.admin!.csrf,
    frequencies: choices.frequencies,
    topics: choices.topics.map((t) => t.name),
    tz: ctx.config.digest.tz,
    subscribers: page.subscribers,
    counts,
    status,
    search,
    nextHref: more ? `/admin/subscribers?${params.toString()}` : undefined,
    ...extra,
  });
}

/** `GET /admin/subscribers` (the page) and `POST /admin/subscribers` (add one). */
function registerListAndAdd(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/subscribers', async (req, reply) => {
    const { message, error } = flash(req, reply);
    return sendPage(reply, await subscribersView(ctx, req, { message, error }));
  });

  app.post('/subscribers', async (req, reply) => {
    const body = z
      .object({
        email: z.string().max(1000),
        confirmed: z.string().max(10).optional(),
        ...DeliveryFields,
      })
      .parse(req.body ?? {});
    const email = requireAddress(body.email);
    const choice = checkChoice(body, await siteChoices(ctx));
    if (!choice.ok) throw new ValidationError('SUBSCRIBER_CHOICE_INVALID', choice.message);
    const out = await ctx.subscribers.add({
      email,
      status: body.confirmed === 'yes' ? 'confirmed' : 'pending',
      frequency: choice.value.frequency ?? undefined,
      topics: choice.value.topics ?? undefined,
    });
    return back(
      reply,
      '/admin/subscribers',
      out.created ? `Added ${email}.` : `${email} was already there.`,
    );
  });
}

/** A row's forms: `POST /admin/subscribers/:id/delivery` and `/:id/delete`. */
function registerRowActions(app: FastifyInstance, ctx: HttpContext): void {
  /** Sets a subscriber's frequency and topics (the row's "Delivery…" form). */
  app.post('/subscribers/:id/delivery', async (req, reply) => {
    const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
    const body = z.object(DeliveryFields).parse(req.body ?? {});
    const choice = checkChoice(
      { frequency: body.frequency ?? '', topics: body.topics ?? '' },
      await siteChoices(ctx),
    );
    if (!choice.ok)
      return back(reply, '/admin/subscribers', `Not saved: ${choice.message}.`, 'error');
    await ctx.subscribers.update(id, choice.value);
    return back(reply, '/admin/subscribers', `Subscriber ${id}: delivery saved.`);
  });

  app.post('/subscribers/:id/delete', async (req, reply) => {
    const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
    const removed = await ctx.subscribers.remove(id);
    return back(
      reply,
      '/admin/subscribers',
      removed ? `Deleted subscriber ${id}.` : `There was no subscriber ${id}.`,
    );
  });
}

/** `POST /admin/subscribers/import`: a CSV file; the page answers with the import's report. */
function registerImport(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/subscribers/import', async (req, reply) => {
    const file = (req.body as Record<string, unknown> | undefined)?.file;
    if (!Buffer.isBuffer(file))
      throw new ValidationError('IMPORT_FILE_MISSING', 'Choose a CSV file to import.');
    // The page itself answers (no redirect): the bad rows by line do not fit in a flash cookie.
    try {
      const choices = await siteChoices(ctx);
      const report = await importSubscribers(
        { store: ctx.subscribers, choices },
        Readable.from([file]),
      );
      return sendPage(reply, await subscribersView(ctx, req, { importReport: report }));
    } catch (err) {
      if (!(err instanceof ImportInterruptedError)) throw err;
      return sendPage(
        reply.code(503),
        await subscribersView(ctx, req, { importReport: err.summary, error: err.message }),
      );
    }
  });
}

/** The subscribers page: list and search, add, set frequency and topics, delete, import. */
export function registerSubscriberPages(app: FastifyInstance, ctx: HttpContext): void {
  registerListAndAdd(app, ctx);
  registerRowActions(app, ctx);
  registerImport(app, ctx);
}

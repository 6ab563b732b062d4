import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../../../errors.js';
import { requireAddress } from '../../../subscribers/address.js';
import { importSubscribers, type ImportSummary } from '../../../subscribers/import-csv.js';
import type { HttpContext } from '../../http-context.js';
import { subscribersPage } from '../../pages/admin-pages.js';
import { SubscribersQuery } from '../../schemas.js';
import { back, flash, sendPage } from './respond.js';

/** The subscribers page: list and search, add, delete, import. */
export function registerSubscriberPages(app: FastifyInstance, ctx: HttpContext): void {
  const { site, subscribers } = ctx;

  app.get('/subscribers', async (req, reply) => {
    const q = SubscribersQuery.parse(req.query);
    const { message, error } = flash(req, reply);
    const status = q.status || undefined;
    const search = q.search?.trim() || undefined;
    const [page, counts] = await Promise.all([
      subscribers.list({ status, search, afterId: q.after, cursor: q.cursor, limit: 50 }),
      subscribers.counts(),
    ]);
    const params = new URLSearchParams();
    if (status) params.set('status', status);
    if (search) params.set('search', search);
    if (page.nextCursor) params.set('cursor', page.nextCursor);
    else if (page.nextAfterId !== undefined) params.set('after', String(page.nextAfterId));
    const more = page.nextCursor !== undefined || page.nextAfterId !== undefined;
    return sendPage(
      reply,
      subscribersPage(site, {
        csrf: req.admin!.csrf,
        subscribers: page.subscribers,
        counts,
        status,
        search,
        nextHref: more ? `/admin/subscribers?${params.toString()}` : undefined,
        message: message ?? error,
      }),
    );
  });

  app.post('/subscribers', async (req, reply) => {
    const body = z
      .object({ email: z.string().max(1000), confirmed: z.string().max(10).optional() })
      .parse(req.body ?? {});
    const email = requireAddress(body.email);
    const out = await subscribers.add({
      email,
      status: body.confirmed === 'yes' ? 'confirmed' : 'pending',
    });
    return back(
      reply,
      '/admin/subscribers',
      out.created ? `Added ${email}.` : `${email} was already there.`,
    );
  });

  app.post('/subscribers/:id/delete', async (req, reply) => {
    const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
    const removed = await subscribers.remove(id);
    return back(
      reply,
      '/admin/subscribers',
      removed ? `Deleted subscriber ${id}.` : `There was no subscriber ${id}.`,
    );
  });

  app.post('/subscribers/import', async (req, reply) => {
    const file = (req.body as Record<string, unknown> | undefined)?.file;
    if (!Buffer.isBuffer(file))
      throw new ValidationError('IMPORT_FILE_MISSING', 'Choose a CSV file to import.');
    const report = await importSubscribers({ store: subscribers }, Readable.from([file]));
    return back(reply, '/admin/subscribers', importMessage(report));
  });
}

function importMessage(r: ImportSummary): string {
  return (
    `Imported ${r.rows} row(s): ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ` +
    `${r.suppressed} suppressed, ${r.invalidCount} invalid.`
  );
}

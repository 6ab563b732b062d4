import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { archiveAtom } from '../../digests/archive-atom.js';
import { archivePath } from '../../digests/archive.js';
import { isDigestDate } from '../../digests/digest-window.js';
import { isFrequency } from '../../digests/frequency.js';
import { NotFoundError } from '../../errors.js';
import type { HttpContext } from '../http-context.js';
import { archivePage } from '../pages/archive-page.js';

/**
 * Digest HTML (archive and admin preview) carries its own inline styles and remote images, and
 * must never run a script: this policy replaces the site's for those documents.
 */
export const DIGEST_CSP =
  "default-src 'none'; style-src 'unsafe-inline' https:; img-src https: http: data:; font-src https: data:; " +
  "frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

const EditionParams = z.object({ frequency: z.string().max(20), date: z.string().max(20) });
const DateParams = z.object({ date: z.string().max(20) });

const notFound = () => new NotFoundError('DIGEST_NOT_FOUND', 'There is no digest for this date.');

/**
 * The public archive, also the "view in browser" target: one list per frequency, each edition
 * at /digests/<frequency>/<date>, and the Atom feed of it all. Nothing per recipient in it.
 */
export function registerArchive(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/digests', async (_req, reply) => {
    const lists = await ctx.archive.lists();
    return reply.type('text/html; charset=utf-8').send(archivePage(ctx.site, lists));
  });

  app.get('/digests.atom', async (_req, reply) => {
    const lists = await ctx.archive.lists();
    const xml = archiveAtom({
      site: ctx.site,
      entries: lists.flatMap((l) => l.entries),
      now: ctx.now(),
    });
    return reply
      .type('application/atom+xml; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(xml);
  });

  app.get('/digests/:frequency/:date', async (req, reply) => {
    const { frequency, date } = EditionParams.parse(req.params);
    if (!isFrequency(frequency) || !isDigestDate(date)) throw notFound();
    const html = await ctx.archive.html({ frequency, date });
    if (html === undefined) throw notFound();
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DIGEST_CSP)
      .send(html);
  });

  // Links of earlier versions (emails already sent) name a bare date: the weekly edition.
  app.get('/digests/:date', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    if (!isDigestDate(date)) throw notFound();
    return reply.redirect(archivePath({ frequency: 'weekly', date }), 301);
  });
}

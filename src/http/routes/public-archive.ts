import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import type { HttpContext } from '../http-context.js';
import { archivePage } from '../pages/public-pages.js';

/**
 * Digest HTML (archive and admin preview) carries its own inline styles and remote images, and
 * must never run a script: this policy replaces the site's for those documents.
 */
export const DIGEST_CSP =
  "default-src 'none'; style-src 'unsafe-inline' https:; img-src https: http: data:; font-src https: data:; " +
  "frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

const DateParams = z.object({ date: z.string().max(20) });

/** The public archive, also the "view in browser" target: nothing per recipient in it. */
export function registerArchive(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/digests', async (_req, reply) => {
    const list = await ctx.digests.list(100);
    return reply.type('text/html; charset=utf-8').send(archivePage(ctx.site, list));
  });

  app.get('/digests/:date', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const html = await ctx.digests.archiveHtml(date);
    if (html === undefined)
      throw new NotFoundError('DIGEST_NOT_FOUND', 'There is no digest for this date.');
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DIGEST_CSP)
      .send(html);
  });
}

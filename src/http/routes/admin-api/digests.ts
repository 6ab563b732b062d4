import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../../errors.js';
import { requireAddress } from '../../../subscribers/address.js';
import type { HttpContext } from '../../http-context.js';
import { DateParams } from '../../schemas.js';
import { DIGEST_CSP } from '../public-archive.js';
import { VariantQuery, variantOptions } from '../variant-query.js';

const TriggerBody = z
  .object({
    date: z.string().max(20).optional(),
    force: z.boolean().optional(),
    now: z.boolean().optional(),
  })
  .strict();
/** A test send: the address, and the variant (as the preview's query names it). */
const TestBody = VariantQuery.extend({ email: z.string().max(1000) }).strict();

/**
 * `/admin/api/digests`: list, next, trigger, retry of failures, summary, preview and test send
 * of any variant (`frequency`, `topics`: variant-query.ts).
 */
export function registerDigestApi(app: FastifyInstance, ctx: HttpContext): void {
  const { digests } = ctx;

  app.get('/digests', async (req) => {
    const { limit } = z
      .object({ limit: z.coerce.number().int().min(1).max(100).default(20) })
      .parse(req.query);
    return { digests: await digests.list(limit) };
  });

  app.get('/digests/next', async () => digests.next());

  app.post('/digests', async (req, reply) => {
    const { date, force, now } = TriggerBody.parse(req.body ?? {});
    // Every zone at once unless `now: false` asks for each zone at its own time.
    return reply.code(202).send(await digests.trigger(date, { force, now: now !== false }));
  });

  app.post('/digests/:date/retry-failed', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    return reply.code(202).send(await digests.retryFailed(date));
  });

  app.get('/digests/:date', async (req) => {
    const { date } = DateParams.parse(req.params);
    const s = await digests.summary(date);
    if (!s) throw new NotFoundError('DIGEST_NOT_FOUND', `No digest for ${date}.`);
    return s;
  });

  app.get('/digests/:date/preview', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const { format, ...variant } = VariantQuery.extend({
      format: z.enum(['html', 'text']).default('html'),
    }).parse(req.query);
    const opts = variantOptions(variant, ctx.config.digest.frequencies);
    const p = await digests.preview(date, undefined, opts);
    reply.header('cache-control', 'no-store');
    if (format === 'text') return reply.type('text/plain; charset=utf-8').send(p.text);
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DIGEST_CSP)
      .send(p.html);
  });

  app.post('/digests/:date/test', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const { email, ...variant } = TestBody.parse(req.body ?? {});
    const opts = variantOptions(variant, ctx.config.digest.frequencies);
    await digests.testSend(date, requireAddress(email), opts);
    return reply.code(202).send({ ok: true });
  });
}

import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { describeEmpty } from '../../../digests/preview.js';
import { readUpcomingSends } from '../../../digests/schedule-listing.js';
import { AppError } from '../../../errors.js';
import type { HttpContext } from '../../http-context.js';
import { toPublicError } from '../../http-errors.js';
import { dashboardPage, triggerPage } from '../../pages/admin-pages.js';
import { previewPage } from '../../pages/admin-preview.js';
import { DateParams } from '../../schemas.js';
import { VariantQuery, variantOptions, variantSearch } from '../variant-query.js';
import { back, flash, sendPage } from './respond.js';

/**
 * Runs an admin action; a refusal the admin can act on (no posts, a date weeks back: 4xx; SMTP
 * failing the preflight: 503) goes back to the dashboard as an error message, not an error page.
 */
async function refusalToFlash<T extends object>(
  reply: FastifyReply,
  action: () => Promise<T>,
): Promise<T | { refused: FastifyReply }> {
  try {
    return await action();
  } catch (err) {
    if (!(err instanceof AppError) || (err.status >= 500 && err.code !== 'SMTP_PREFLIGHT_FAILED'))
      throw err;
    return { refused: back(reply, '/admin', err.message, 'error') };
  }
}

/** `GET /admin`: the dashboard (the next digest, every digest built, the subscriber counts). */
function registerDashboard(app: FastifyInstance, ctx: HttpContext): void {
  const { site, digests, subscribers } = ctx;
  app.get('/', async (req, reply) => {
    const [next, nextSends, list, counts] = await Promise.all([
      digests.next(),
      // The scheduler's slots, as `digest schedule --count 1` lists them.
      readUpcomingSends({ schedule: ctx.config.digest, groups: ctx.groups }, ctx.now(), 1),
      digests.list(10),
      subscribers.counts(),
    ]);
    const { message, error } = flash(req, reply);
    return sendPage(
      reply,
      dashboardPage(site, {
        csrf: req.admin!.csrf,
        tz: ctx.config.digest.tz,
        next,
        nextSends,
        digests: list,
        counts,
        message,
        error,
      }),
    );
  });
}

/** `GET /admin/trigger` (the confirmation) and `POST /admin/trigger` ("Send now"). */
function registerTrigger(app: FastifyInstance, ctx: HttpContext): void {
  const { site, digests } = ctx;
  app.get('/trigger', async (req, reply) => {
    const q = z.object({ date: z.string().max(20).optional() }).parse(req.query);
    const next = await digests.next();
    const date = q.date || next.date;
    const existing = await digests.summary(date);
    const posts =
      date === next.date ? next.posts.length : (await digests.preview(date)).posts.length;
    const past = digests.pastDate(date);
    return sendPage(
      reply,
      triggerPage(site, { csrf: req.admin!.csrf, date, posts, existing, past }),
    );
  });

  app.post('/trigger', async (req, reply) => {
    const body = z
      .object({ date: z.string().max(20).optional(), force: z.string().max(10).optional() })
      .parse(req.body ?? {});
    const out = await refusalToFlash(reply, () =>
      // "Send now": every zone at once, as the button says (the CLI sends each at its time).
      digests.trigger(body.date || undefined, { force: body.force === 'yes', now: true }),
    );
    if ('refused' in out) return out.refused;
    return back(
      reply,
      '/admin',
      out.created
        ? `The digest of ${out.date} is being built and sent.`
        : `The digest of ${out.date} was already started.`,
    );
  });
}

/** `POST /admin/digests/:date/retry-failed`: the deliveries that failed for now, again. */
function registerRetry(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/digests/:date/retry-failed', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const out = await refusalToFlash(reply, () => ctx.digests.retryFailed(date));
    if ('refused' in out) return out.refused;
    return back(
      reply,
      '/admin',
      out.temporary
        ? `Sending again ${out.temporary} deliveries of ${date} that failed for now.`
        : `No delivery of ${date} failed with a temporary cause: nothing to retry.`,
    );
  });
}

type Preview = Awaited<ReturnType<HttpContext['digests']['preview']>>;

/** What the preview page shows of a preview: subject, text, why it is empty, where it came from. */
function previewFields(ctx: HttpContext, date: string, p: Preview) {
  return {
    subject: p.subject,
    text: p.text,
    empty: p.empty,
    emptyReason: p.empty
      ? describeEmpty(date, p.emptyReason, ctx.config.digest.tz, (d) => `try ${d}`)
      : undefined,
    tryDate: p.emptyReason?.newest?.date !== date ? p.emptyReason?.newest?.date : undefined,
    posts: p.posts.length,
    stored: p.stored ? { builtAt: p.builtAt ?? '', status: p.status ?? '' } : undefined,
  };
}

/** `GET /admin/digests/:date/preview[?frequency=&topics=]`: one variant of an edition. */
function registerPreview(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/digests/:date/preview', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const d = ctx.config.digest;
    const variant = variantOptions(VariantQuery.parse(req.query), d.frequencies);
    const [p, topics] = await Promise.all([
      ctx.digests.preview(date, undefined, variant),
      ctx.topics.list(),
    ]);
    const { message, error } = flash(req, reply);
    const choices = {
      frequencies: d.frequencies,
      defaultFrequency: d.defaultFrequency,
      topics: topics.map((t) => t.name),
    };
    return sendPage(
      reply,
      previewPage(ctx.site, {
        csrf: req.admin!.csrf,
        tz: d.tz,
        date,
        variant,
        choices,
        ...previewFields(ctx, date, p),
        message,
        error,
      }),
    );
  });
}

/** `POST /admin/digests/:date/test`: one copy of the variant shown, back to its preview. */
function registerTestSend(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/digests/:date/test', async (req, reply) => {
    const { date } = DateParams.parse(req.params);
    const { email, ...q } = VariantQuery.extend({ email: z.string().max(1000) }).parse(
      req.body ?? {},
    );
    const variant = variantOptions(q, ctx.config.digest.frequencies);
    // Back to the same variant's preview.
    const path = `/admin/digests/${encodeURIComponent(date)}/preview${variantSearch(variant)}`;
    try {
      await ctx.digests.testSend(date, email, variant);
    } catch (err) {
      const e = toPublicError(err);
      if (e.status >= 500) throw err;
      return back(reply, path, e.message, 'error');
    }
    return back(reply, path, 'Test sent.');
  });
}

/** The dashboard, the trigger page, and a digest's preview and test send. */
export function registerDigestPages(app: FastifyInstance, ctx: HttpContext): void {
  registerDashboard(app, ctx);
  registerTrigger(app, ctx);
  registerRetry(app, ctx);
  registerPreview(app, ctx);
  registerTestSend(app, ctx);
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isTimeZone } from '../../config.js';
import { describeDelivery } from '../../subscribers/describe-delivery.js';
import type { Subscriber } from '../../subscribers/subscriber.js';
import { clientId } from '../client-address.js';
import type { HttpContext } from '../http-context.js';
import { messagePage } from '../pages/layout.js';
import { preferencesPage, type PreferencesView } from '../pages/preferences-page.js';
import { dataLinkSentPage, unsubscribedPage } from '../pages/public-pages.js';
import { deliveryOptions, readDeliveryChoice } from './delivery-form.js';
import { HTML, LINK_OPTS, linkSubscriber } from './token-link.js';

const PreferencesBody = z.object({
  action: z.enum(['save', 'unsubscribe', 'resubscribe', 'data-link', 'download', 'delete']),
  tz: z.string().max(100).optional(),
  frequency: z.string().max(100).optional(),
  topics: z.union([z.string().max(2000), z.array(z.string().max(100)).max(100)]).optional(),
  paused: z.string().max(10).optional(),
  confirm: z.string().max(10).optional(),
});
type PreferencesBody = z.infer<typeof PreferencesBody>;

/** What a subscriber may download about themself (issue 4: "download my data"). */
function personalData(sub: Subscriber) {
  return {
    email: sub.email,
    name: sub.name ?? null,
    status: sub.status,
    timeZone: sub.tz ?? null,
    frequency: sub.frequency ?? null,
    topics: sub.topics,
    paused: sub.paused,
    createdAt: sub.createdAt,
    updatedAt: sub.updatedAt,
    confirmedAt: sub.confirmedAt ?? null,
    consent: sub.consent ?? null,
  };
}

/** A verified preferences link: its subscriber, token and whether it is a data link. */
type Found = NonNullable<Awaited<ReturnType<typeof linkSubscriber>>>;

/** The preferences page of `sub`, with what they get in words. */
async function page(
  ctx: HttpContext,
  found: Found,
  sub: Subscriber,
  view: Partial<PreferencesView> = {},
) {
  const options = await deliveryOptions(ctx);
  const allTopics = options.topics.length > 1 ? 'all topics' : undefined;
  const delivery = describeDelivery(sub, ctx.config.digest, { allTopics });
  const { dataAccess } = found;
  return preferencesPage(ctx.site, sub, found.token, { dataAccess, ...view, delivery, options });
}

/** Saves time zone, pause, frequency and topics, or shows the form again with the reason. */
async function save(ctx: HttpContext, reply: FastifyReply, found: Found, body: PreferencesBody) {
  const { sub } = found;
  const tz = body.tz && isTimeZone(body.tz) ? body.tz : null;
  const paused = body.paused === 'yes';
  const choice = readDeliveryChoice(body, await deliveryOptions(ctx));
  if (!choice.ok) {
    const picked = { ...choice.picked, tz: tz ?? undefined, paused };
    return reply
      .code(400)
      .type(HTML)
      .send(await page(ctx, found, sub, { error: choice.message, picked }));
  }
  // Takes effect from their next digest: the cursor model (ISSUE12) loses and repeats nothing.
  await ctx.subscribers.update(sub.id, {
    tz,
    paused,
    ...(choice.frequency ? { frequency: choice.frequency } : {}),
    ...(choice.topics ? { topics: choice.topics } : {}),
  });
  const fresh = (await ctx.subscribers.get(sub.id)) ?? sub;
  return reply.type(HTML).send(await page(ctx, found, fresh, { notice: 'Saved.' }));
}

async function resubscribe(ctx: HttpContext, reply: FastifyReply, found: Found) {
  const ok = await ctx.subscription.resubscribe(found.sub);
  const fresh = (await ctx.subscribers.get(found.sub.id)) ?? found.sub;
  const notice = ok
    ? 'You are subscribed again.'
    : 'This address cannot be subscribed again from here.';
  return reply.type(HTML).send(await page(ctx, found, fresh, { notice }));
}

/** Erases everything about them, once they ticked the box. */
async function erase(ctx: HttpContext, reply: FastifyReply, found: Found, body: PreferencesBody) {
  if (body.confirm !== 'yes') {
    const notice = 'Tick the box to confirm the deletion.';
    return reply
      .code(400)
      .type(HTML)
      .send(await page(ctx, found, found.sub, { notice }));
  }
  await ctx.subscribers.erase(found.sub.id);
  const words =
    'Your address and everything about you are deleted. You will not hear from us again.';
  return reply.type(HTML).send(messagePage(ctx.site, 'Deleted', words));
}

/** The form's `action`, with a data link's own (download, delete) refused to any other link. */
async function act(
  ctx: HttpContext,
  req: FastifyRequest,
  reply: FastifyReply,
  found: Found,
  body: PreferencesBody,
) {
  const { sub, token } = found;
  if ((body.action === 'download' || body.action === 'delete') && !found.dataAccess) {
    const notice = 'Downloading or deleting your data needs a fresh link: ask for one below.';
    return reply
      .code(403)
      .type(HTML)
      .send(await page(ctx, found, sub, { notice }));
  }
  switch (body.action) {
    case 'save':
      return save(ctx, reply, found, body);
    case 'data-link':
      ctx.background.run('data link', () => ctx.subscription.sendDataLink(sub, clientId(req.ip)));
      return reply.type(HTML).send(dataLinkSentPage(ctx.site));
    case 'unsubscribe':
      await ctx.subscription.unsubscribe(sub);
      return reply.type(HTML).send(unsubscribedPage(ctx.site, token));
    case 'resubscribe':
      return resubscribe(ctx, reply, found);
    case 'download':
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', 'attachment; filename="my-subscription.json"')
        .send(JSON.stringify(personalData(sub), null, 2));
    case 'delete':
      return erase(ctx, reply, found, body);
  }
}

/**
 * The preferences link's page (what they get in words; time zone, frequency, topics, pause)
 * and its form's actions. Every action is the signed link's: no cookie, no CSRF token.
 */
export function registerPreferencesRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/preferences', LINK_OPTS, async (req, reply) => {
    const found = await linkSubscriber(ctx, req, reply, 'preferences');
    if (!found) return reply;
    return reply
      .type(HTML)
      .header('cache-control', 'no-store')
      .send(await page(ctx, found, found.sub));
  });

  app.post('/preferences', LINK_OPTS, async (req, reply) => {
    const found = await linkSubscriber(ctx, req, reply, 'preferences');
    if (!found) return reply;
    const body = PreferencesBody.parse(req.body ?? {});
    reply.header('cache-control', 'no-store');
    return act(ctx, req, reply, found, body);
  });
}

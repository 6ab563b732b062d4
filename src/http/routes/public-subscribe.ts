import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isTimeZone } from '../../config.js';
import type { Frequency } from '../../digests/frequency.js';
import { stripControls } from '../../control-chars.js';
import { ValidationError } from '../../errors.js';
import { normaliseAddress } from '../../subscribers/address.js';
import { clientId, validIp } from '../client-address.js';
import { createFormStamp } from '../form-stamp.js';
import type { HttpContext } from '../http-context.js';
import { wantsJson } from '../http-errors.js';
import { archivedDigests, homePage, subscribeDonePage } from '../pages/public-pages.js';
import type { DigestListItem } from '../deps.js';
import type { DeliveryPicked } from '../pages/delivery-fields.js';
import { deliveryOptions, readDeliveryChoice } from './delivery-form.js';

/** The latest digest that went out, with its posts, for the home page. */
async function latestDigest(ctx: HttpContext, list: DigestListItem[]) {
  const last = archivedDigests(list)[0];
  if (!last) return undefined;
  const stored = await ctx.digests.get(last.id);
  const posts = stored ? await ctx.posts.getMany(stored.postIds.slice(0, 8)) : [];
  return { date: last.date, subject: last.subject, posts };
}

const SubscribeBody = z.object({
  // Generous bounds here; normaliseAddress gives the precise reasons.
  email: z.string().max(1000).optional(),
  tz: z.string().max(100).optional(),
  frequency: z.string().max(100).optional(),
  topics: z.union([z.string().max(2000), z.array(z.string().max(100)).max(100)]).optional(),
  source: z.string().max(500).optional(),
  /** The honeypot: people never see it, bots fill it in. */
  website: z.string().max(1000).optional(),
  /** When the form was shown (form-stamp.ts): a form sent too soon is a bot's. */
  ts: z.string().max(100).optional(),
});

/** Subscribe bodies are a few fields: a small limit. */
const BODY_LIMIT = 8 * 1024;

const clean = (s: string | undefined, max: number) =>
  stripControls(s ?? '')
    .trim()
    .slice(0, max) || undefined;

/** The page the form was sent from: a same-site path only, never a full URL from a header. */
function sourcePage(
  req: FastifyRequest,
  bodySource: string | undefined,
  publicUrl: string,
): string | undefined {
  if (bodySource && /^\/[\x21-\x7e]{0,200}$/.test(bodySource)) return bodySource;
  const referer = req.headers.referer;
  if (referer?.startsWith(`${publicUrl}/`)) return clean(referer.slice(publicUrl.length), 200);
  return undefined;
}

type FormStamp = ReturnType<typeof createFormStamp>;
type SubscribeFields = z.infer<typeof SubscribeBody>;

/** `GET /`: the subscribe form (with a fresh stamp), the latest digest and the archive. */
function registerHome(app: FastifyInstance, ctx: HttpContext, stamp: FormStamp): void {
  app.get('/', async (_req, reply) => {
    const [list, options] = await Promise.all([ctx.digests.list(50), deliveryOptions(ctx)]);
    const latest = await latestDigest(ctx, list);
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(homePage(ctx.site, { digests: list, latest, stamp: stamp.issue(), options }));
  });
}

/** The form again, with the reason and everything the reader typed or picked. */
async function formAgain(
  ctx: HttpContext,
  stamp: FormStamp,
  reply: FastifyReply,
  form: { body: SubscribeFields; error: string; picked: DeliveryPicked },
) {
  const { body, error, picked } = form;
  const [list, options] = await Promise.all([ctx.digests.list(50), deliveryOptions(ctx)]);
  const email =
    typeof body.email === 'string'
      ? stripControls(body.email, { replaceWith: '' }).slice(0, 254)
      : '';
  return reply
    .code(400)
    .type('text/html; charset=utf-8')
    .send(
      homePage(ctx.site, { digests: list, stamp: stamp.issue(), error, email, options, picked }),
    );
}

/** Stores the request with its consent record; the confirmation email goes out after the answer. */
async function requestSubscription(
  ctx: HttpContext,
  req: FastifyRequest,
  body: SubscribeFields,
  choice: { email: string; frequency?: Frequency; topics?: string[] },
): Promise<void> {
  const tz = body.tz && isTimeZone(body.tz) ? body.tz : undefined;
  const consent = {
    at: ctx.now(),
    // Only a valid address is kept (TRUST_PROXY decides whose address req.ip is).
    ip: validIp(req.ip),
    userAgent: clean(req.headers['user-agent'], 300),
    source: sourcePage(req, body.source, ctx.site.publicUrl),
  };
  const { send } = await ctx.subscription.request({
    ...choice,
    tz,
    consent,
    requester: clientId(req.ip),
  });
  ctx.background.run('subscribe', send);
  ctx.background.run('expire pending', ctx.subscription.expirePending);
}

/** `POST /subscribe` (form or JSON) and `POST /api/subscribe` (JSON), rate limited per IP. */
export function registerSubscribe(app: FastifyInstance, ctx: HttpContext): void {
  const stamp = createFormStamp({
    secret: ctx.secret,
    minSeconds: ctx.limits.minFormSeconds,
    now: ctx.now,
  });
  registerHome(app, ctx, stamp);

  /**
   * The same answer whatever state the address is in, given once the request is stored (a
   * Redis that cannot store it makes the error handler answer 503 "try again in a minute",
   * for every address alike); the confirmation email goes out after the answer.
   */
  async function subscribe(req: FastifyRequest, reply: FastifyReply, json: boolean) {
    const body = SubscribeBody.parse(req.body ?? {});
    const addr = normaliseAddress(body.email ?? '');
    const choice = readDeliveryChoice(body, await deliveryOptions(ctx));
    if (!choice.ok) {
      if (json) throw new ValidationError('SUBSCRIBE_CHOICE_INVALID', choice.message);
      return formAgain(ctx, stamp, reply, { body, error: choice.message, picked: choice.picked });
    }
    const { frequency, topics } = choice;
    if (!addr.ok) {
      if (json) throw new ValidationError(addr.code, addr.message);
      const error = `Please check the address: ${addr.message}.`;
      return formAgain(ctx, stamp, reply, { body, error, picked: { frequency, topics } });
    }
    // A bot (honeypot filled, or a form sent without a fresh stamp) gets the same answer.
    const human = !body.website && (json || stamp.passes(body.ts));
    if (human) await requestSubscription(ctx, req, body, { email: addr.email, frequency, topics });
    if (json) {
      return reply.code(202).send({
        ok: true,
        message: 'If this address can subscribe, a confirmation email is on its way.',
      });
    }
    return reply.type('text/html; charset=utf-8').send(subscribeDonePage(ctx.site));
  }

  const rateLimit = { max: ctx.limits.subscribePerIpPerMinute, timeWindow: 60_000 };
  const opts = { config: { rateLimit }, bodyLimit: BODY_LIMIT };
  app.post('/subscribe', opts, (req, reply) => subscribe(req, reply, wantsJson(req)));
  app.post('/api/subscribe', opts, (req, reply) => subscribe(req, reply, true));
}

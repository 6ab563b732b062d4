import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { lessOften, moreOften } from '../../digests/frequency.js';
import {
  deliveryFrequency,
  describeDelivery,
  type DeliveryConfig,
} from '../../subscribers/describe-delivery.js';
import { checkFrequency } from '../../subscribers/delivery-choice.js';
import type { Subscriber } from '../../subscribers/subscriber.js';
import type { HttpContext } from '../http-context.js';
import { frequencyChangedPage, frequencyPage } from '../pages/frequency-pages.js';
import { messagePage } from '../pages/layout.js';
import { badLinkPage } from '../pages/public-pages.js';

const Query = z.object({
  token: z.string().max(200).optional(),
  change: z.string().max(20).optional(),
});
const Body = z.object({ to: z.string().max(20).optional() });

const HTML = 'text/html; charset=utf-8';
/** As the other token routes: bounded guessing, small bodies. */
const OPTS = { config: { rateLimit: { max: 60, timeWindow: 60_000 } }, bodyLimit: 8 * 1024 };

/** The frequency `change` (less, more) moves `sub` to, among those the site offers. */
function target(sub: Subscriber, change: string | undefined, digest: DeliveryConfig) {
  const current = deliveryFrequency(sub, digest);
  if (change === 'less') return lessOften(current, digest.frequencies);
  if (change === 'more') return moreOften(current, digest.frequencies);
  return undefined;
}

/**
 * The digest footer's one-click "less often" / "more often" links. The token (purpose
 * `frequency`, signed like unsubscribe's, checked in constant time) can change only the
 * frequency: GET shows one button, and only its POST, with an absolute `to`, changes it — so a
 * scanner that follows the link changes nothing, and pressing twice moves once.
 */
export function registerFrequencyRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { site, tokens, subscribers } = ctx;
  const digest = ctx.config.digest;

  async function fromToken(req: FastifyRequest, reply: FastifyReply) {
    const { token } = Query.parse(req.query);
    const v = tokens.verify('frequency', token ?? '', ctx.now());
    const sub = v.ok ? await subscribers.get(v.subscriberId) : undefined;
    if (!v.ok || !sub) {
      const code = !token ? 'TOKEN_MISSING' : v.ok ? 'TOKEN_INVALID' : v.code;
      reply
        .code(code === 'TOKEN_EXPIRED' ? 410 : 400)
        .type(HTML)
        .send(badLinkPage(site, code));
      return undefined;
    }
    return { sub, token: token! };
  }

  app.get('/frequency', OPTS, async (req, reply) => {
    const found = await fromToken(req, reply);
    if (!found) return reply;
    const { sub, token } = found;
    const to = target(sub, Query.parse(req.query).change, digest);
    return reply
      .type(HTML)
      .header('cache-control', 'no-store')
      .send(
        frequencyPage(site, {
          token,
          email: sub.email,
          now: describeDelivery(sub, digest),
          target: to && {
            frequency: to,
            words: describeDelivery({ ...sub, frequency: to }, digest),
          },
          preferencesToken: tokens.sign('preferences', sub.id),
        }),
      );
  });

  app.post('/frequency', OPTS, async (req, reply) => {
    const found = await fromToken(req, reply);
    if (!found) return reply;
    const { sub } = found;
    const to = checkFrequency(Body.parse(req.body ?? {}).to ?? '', digest.frequencies);
    if (!to.ok) {
      const msg = `Nothing has changed: ${to.message}.`;
      return reply
        .code(400)
        .type(HTML)
        .send(messagePage(site, 'Not changed', msg));
    }
    // Only the frequency: from their next digest on (the cursor keeps every post once).
    await subscribers.update(sub.id, { frequency: to.value });
    return reply
      .type(HTML)
      .header('cache-control', 'no-store')
      .send(
        frequencyChangedPage(site, {
          words: describeDelivery({ ...sub, frequency: to.value }, digest),
          preferencesToken: tokens.sign('preferences', sub.id),
        }),
      );
  });
}

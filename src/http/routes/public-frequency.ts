import type { FastifyInstance } from 'fastify';
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
import { HTML, LINK_OPTS, linkSubscriber } from './token-link.js';

const Query = z.object({ change: z.string().max(20).optional() });
const Body = z.object({ to: z.string().max(20).optional() });

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

  app.get('/frequency', LINK_OPTS, async (req, reply) => {
    const found = await linkSubscriber(ctx, req, reply, 'frequency');
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

  app.post('/frequency', LINK_OPTS, async (req, reply) => {
    const found = await linkSubscriber(ctx, req, reply, 'frequency');
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

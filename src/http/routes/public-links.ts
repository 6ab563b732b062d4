import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isTimeZone } from '../../config.js';
import type { Subscriber } from '../../subscribers/subscriber.js';
import type { TokenPurpose } from '../../subscribers/tokens.js';
import { clientId } from '../client-address.js';
import type { HttpContext } from '../http-context.js';
import {
  badLinkPage,
  confirmPage,
  confirmedPage,
  dataLinkSentPage,
  unsubscribedPage,
  unsubscribePage,
} from '../pages/public-pages.js';
import { messagePage } from '../pages/layout.js';
import { preferencesPage, type PreferencesView } from '../pages/preferences-page.js';
import { describeDelivery } from '../../subscribers/describe-delivery.js';
import { deliveryOptions, readDeliveryChoice } from './delivery-form.js';

const TokenQuery = z.object({ token: z.string().max(200).optional() });
const ConfirmBody = z.object({ token: z.string().max(200).optional() });

const PreferencesBody = z.object({
  action: z.enum(['save', 'unsubscribe', 'resubscribe', 'data-link', 'download', 'delete']),
  tz: z.string().max(100).optional(),
  frequency: z.string().max(100).optional(),
  topics: z.union([z.string().max(2000), z.array(z.string().max(100)).max(100)]).optional(),
  paused: z.string().max(10).optional(),
  confirm: z.string().max(10).optional(),
});

const HTML = 'text/html; charset=utf-8';
/**
 * Requests per IP per minute on the token routes (bounds guessing without bothering anyone),
 * and a body limit: these forms are a few fields (one-click unsubscribe may be multipart).
 */
const LINK_OPTS = { config: { rateLimit: { max: 60, timeWindow: 60_000 } }, bodyLimit: 8 * 1024 };

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

export function registerLinkRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { site, tokens, subscribers, subscription } = ctx;

  /** The preferences page of `sub`, with what they get in words. */
  async function prefsPage(
    sub: Subscriber,
    token: string,
    view: Omit<PreferencesView, 'delivery' | 'options'>,
  ) {
    const options = await deliveryOptions(ctx);
    const allTopics = options.topics.length > 1 ? 'all topics' : undefined;
    const delivery = describeDelivery(sub, ctx.config.digest, { allTopics });
    return preferencesPage(site, sub, token, { ...view, delivery, options });
  }

  /** Verifies the token of a link and loads its subscriber, or answers with a clear page. */
  async function fromToken(req: FastifyRequest, reply: FastifyReply, purpose: TokenPurpose) {
    const { token } = TokenQuery.parse(req.query);
    const v = tokens.verify(purpose, token ?? '', ctx.now());
    const sub = v.ok ? await subscribers.get(v.subscriberId) : undefined;
    if (!v.ok || !sub) {
      const code = !token ? 'TOKEN_MISSING' : v.ok ? 'TOKEN_INVALID' : v.code;
      reply
        .code(code === 'TOKEN_EXPIRED' ? 410 : 400)
        .type(HTML)
        .send(badLinkPage(site, code));
      return undefined;
    }
    // Only a verified token reaches a page, so it is safe to print back. A data link (one
    // with an expiry, emailed on request) also downloads and erases.
    return { sub, token: token!, dataAccess: v.ok && v.expiresAt > 0 };
  }

  function badLink(reply: FastifyReply, code: string) {
    return reply
      .code(code === 'TOKEN_EXPIRED' ? 410 : 400)
      .type(HTML)
      .send(badLinkPage(site, code));
  }

  // The link opens a page with one button; GET and HEAD never confirm (scanners follow links).
  app.get('/confirm', LINK_OPTS, async (req, reply) => {
    const { token } = TokenQuery.parse(req.query);
    if (!token) return badLink(reply, 'TOKEN_MISSING');
    const out = await subscription.check(token);
    if (!out.ok) return badLink(reply, out.code);
    if (out.already) return reply.type(HTML).send(confirmedPage(site, true));
    return reply
      .type(HTML)
      .header('cache-control', 'no-store')
      .send(confirmPage(site, token, out.subscriber.email));
  });

  app.post('/confirm', LINK_OPTS, async (req, reply) => {
    const { token } = ConfirmBody.parse(req.body ?? {});
    if (!token) return badLink(reply, 'TOKEN_MISSING');
    const out = await subscription.confirm(token);
    if (!out.ok) return badLink(reply, out.code);
    if (!out.already && ctx.config.welcomeEmail) {
      ctx.background.run('welcome', () => subscription.sendWelcome(out.subscriber));
    }
    return reply.type(HTML).send(confirmedPage(site, out.already));
  });

  // A GET never unsubscribes: mail scanners and link previews follow links.
  app.get('/unsubscribe', LINK_OPTS, async (req, reply) => {
    const found = await fromToken(req, reply, 'unsubscribe');
    if (!found) return reply;
    return reply.type(HTML).send(unsubscribePage(site, found.token, found.sub.email));
  });

  /**
   * The page's button and RFC 8058 one-click (body `List-Unsubscribe=One-Click`, form-urlencoded
   * or multipart) both land here: unsubscribe at once, 200, no redirect, no cookie, no CSRF
   * token (the signed link is the proof).
   */
  app.post('/unsubscribe', LINK_OPTS, async (req, reply) => {
    const found = await fromToken(req, reply, 'unsubscribe');
    if (!found) return reply;
    await subscription.unsubscribe(found.sub);
    const prefs = tokens.sign('preferences', found.sub.id);
    return reply.code(200).type(HTML).send(unsubscribedPage(site, prefs));
  });

  app.get('/preferences', LINK_OPTS, async (req, reply) => {
    const found = await fromToken(req, reply, 'preferences');
    if (!found) return reply;
    return reply
      .type(HTML)
      .header('cache-control', 'no-store')
      .send(await prefsPage(found.sub, found.token, { dataAccess: found.dataAccess }));
  });

  app.post('/preferences', LINK_OPTS, async (req, reply) => {
    const found = await fromToken(req, reply, 'preferences');
    if (!found) return reply;
    const { sub, token, dataAccess } = found;
    const body = PreferencesBody.parse(req.body ?? {});
    reply.header('cache-control', 'no-store');
    const page = (s: Subscriber, notice?: string) => prefsPage(s, token, { notice, dataAccess });
    if ((body.action === 'download' || body.action === 'delete') && !dataAccess) {
      return reply
        .code(403)
        .type(HTML)
        .send(
          await page(
            sub,
            'Downloading or deleting your data needs a fresh link: ask for one below.',
          ),
        );
    }
    switch (body.action) {
      case 'save': {
        const tz = body.tz && isTimeZone(body.tz) ? body.tz : null;
        const paused = body.paused === 'yes';
        const choice = readDeliveryChoice(body, await deliveryOptions(ctx));
        if (!choice.ok) {
          const picked = { ...choice.picked, tz: tz ?? undefined, paused };
          const view = { error: choice.message, picked, dataAccess };
          return reply
            .code(400)
            .type(HTML)
            .send(await prefsPage(sub, token, view));
        }
        // Takes effect from their next digest: the cursor model (ISSUE12) loses and repeats nothing.
        await subscribers.update(sub.id, {
          tz,
          paused,
          ...(choice.frequency ? { frequency: choice.frequency } : {}),
          ...(choice.topics ? { topics: choice.topics } : {}),
        });
        const fresh = (await subscribers.get(sub.id)) ?? sub;
        return reply.type(HTML).send(await page(fresh, 'Saved.'));
      }
      case 'data-link': {
        ctx.background.run('data link', () => subscription.sendDataLink(sub, clientId(req.ip)));
        return reply.type(HTML).send(dataLinkSentPage(site));
      }
      case 'unsubscribe': {
        await subscription.unsubscribe(sub);
        return reply.type(HTML).send(unsubscribedPage(site, token));
      }
      case 'resubscribe': {
        const ok = await subscription.resubscribe(sub);
        const fresh = (await subscribers.get(sub.id)) ?? sub;
        const notice = ok
          ? 'You are subscribed again.'
          : 'This address cannot be subscribed again from here.';
        return reply.type(HTML).send(await page(fresh, notice));
      }
      case 'download':
        return reply
          .type('application/json; charset=utf-8')
          .header('content-disposition', 'attachment; filename="my-subscription.json"')
          .send(JSON.stringify(personalData(sub), null, 2));
      case 'delete': {
        if (body.confirm !== 'yes') {
          return reply
            .code(400)
            .type(HTML)
            .send(await page(sub, 'Tick the box to confirm the deletion.'));
        }
        await subscribers.erase(sub.id);
        return reply
          .type(HTML)
          .send(
            messagePage(
              site,
              'Deleted',
              'Your address and everything about you are deleted. You will not hear from us again.',
            ),
          );
      }
    }
  });
}

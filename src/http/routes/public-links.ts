import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isTimeZone } from '../../config.js';
import type { Subscriber } from '../../subscribers/subscriber.js';
import type { TokenPurpose } from '../../subscribers/tokens.js';
import type { HttpContext } from '../http-context.js';
import {
  badLinkPage,
  confirmedPage,
  preferencesPage,
  unsubscribedPage,
  unsubscribePage,
} from '../pages/public-pages.js';
import { messagePage } from '../pages/layout.js';

const TokenQuery = z.object({ token: z.string().max(200).optional() });

const PreferencesBody = z.object({
  action: z.enum(['save', 'unsubscribe', 'resubscribe', 'download', 'delete']),
  tz: z.string().max(100).optional(),
  paused: z.string().max(10).optional(),
  confirm: z.string().max(10).optional(),
});

const HTML = 'text/html; charset=utf-8';
/** Requests per IP per minute on the token routes: bounds guessing without bothering anyone. */
const LINK_RATE = { max: 60, timeWindow: 60_000 };

/** What a subscriber may download about themself (issue 4: "download my data"). */
function personalData(sub: Subscriber) {
  return {
    email: sub.email,
    name: sub.name ?? null,
    status: sub.status,
    timeZone: sub.tz ?? null,
    paused: sub.paused,
    createdAt: sub.createdAt,
    updatedAt: sub.updatedAt,
    confirmedAt: sub.confirmedAt ?? null,
    consent: sub.consent ?? null,
  };
}

export function registerLinkRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { site, tokens, subscribers, subscription } = ctx;

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
    // Only a verified token reaches a page, so it is safe to print back.
    return { sub, token: token! };
  }

  app.get('/confirm', { config: { rateLimit: LINK_RATE } }, async (req, reply) => {
    const { token } = TokenQuery.parse(req.query);
    const out = await subscription.confirm(token ?? '');
    if (!out.ok) {
      return reply
        .code(out.code === 'TOKEN_EXPIRED' ? 410 : 400)
        .type(HTML)
        .send(badLinkPage(site, out.code));
    }
    if (!out.already && ctx.config.welcomeEmail) {
      ctx.background.run('welcome', () => subscription.sendWelcome(out.subscriber));
    }
    return reply.type(HTML).send(confirmedPage(site, out.already));
  });

  // A GET never unsubscribes: mail scanners and link previews follow links.
  app.get('/unsubscribe', { config: { rateLimit: LINK_RATE } }, async (req, reply) => {
    const found = await fromToken(req, reply, 'unsubscribe');
    if (!found) return reply;
    return reply.type(HTML).send(unsubscribePage(site, found.token, found.sub.email));
  });

  /**
   * The page's button and RFC 8058 one-click (body `List-Unsubscribe=One-Click`, form-urlencoded
   * or multipart) both land here: unsubscribe at once, 200, no redirect, no cookie, no CSRF
   * token (the signed link is the proof).
   */
  app.post('/unsubscribe', { config: { rateLimit: LINK_RATE } }, async (req, reply) => {
    const found = await fromToken(req, reply, 'unsubscribe');
    if (!found) return reply;
    await subscription.unsubscribe(found.sub);
    const prefs = tokens.sign('preferences', found.sub.id);
    return reply.code(200).type(HTML).send(unsubscribedPage(site, prefs));
  });

  app.get('/preferences', { config: { rateLimit: LINK_RATE } }, async (req, reply) => {
    const found = await fromToken(req, reply, 'preferences');
    if (!found) return reply;
    return reply
      .type(HTML)
      .header('cache-control', 'no-store')
      .send(preferencesPage(site, found.sub, found.token));
  });

  app.post('/preferences', { config: { rateLimit: LINK_RATE } }, async (req, reply) => {
    const found = await fromToken(req, reply, 'preferences');
    if (!found) return reply;
    const { sub, token } = found;
    const body = PreferencesBody.parse(req.body ?? {});
    reply.header('cache-control', 'no-store');
    switch (body.action) {
      case 'save': {
        const tz = body.tz && isTimeZone(body.tz) ? body.tz : null;
        await subscribers.update(sub.id, { tz, paused: body.paused === 'yes' });
        const fresh = (await subscribers.get(sub.id)) ?? sub;
        return reply.type(HTML).send(preferencesPage(site, fresh, token, 'Saved.'));
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
        return reply.type(HTML).send(preferencesPage(site, fresh, token, notice));
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
            .send(preferencesPage(site, sub, token, 'Tick the box to confirm the deletion.'));
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

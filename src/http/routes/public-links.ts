import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { HttpContext } from '../http-context.js';
import {
  confirmPage,
  confirmedPage,
  unsubscribedPage,
  unsubscribePage,
} from '../pages/public-pages.js';
import { HTML, LINK_OPTS, linkSubscriber, sendBadLink } from './token-link.js';

const TokenQuery = z.object({ token: z.string().max(200).optional() });
const ConfirmBody = z.object({ token: z.string().max(200).optional() });

/**
 * The links in mail: confirm (a page with one button; only its POST confirms), unsubscribe
 * (likewise, and RFC 8058 one-click). The preferences link: public-preferences.ts.
 */
export function registerLinkRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { site, tokens, subscription } = ctx;
  const badLink = (reply: FastifyReply, code: string) => sendBadLink(reply, site, code);

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
    const found = await linkSubscriber(ctx, req, reply, 'unsubscribe');
    if (!found) return reply;
    return reply.type(HTML).send(unsubscribePage(site, found.token, found.sub.email));
  });

  /**
   * The page's button and RFC 8058 one-click (body `List-Unsubscribe=One-Click`, form-urlencoded
   * or multipart) both land here: unsubscribe at once, 200, no redirect, no cookie, no CSRF
   * token (the signed link is the proof).
   */
  app.post('/unsubscribe', LINK_OPTS, async (req, reply) => {
    const found = await linkSubscriber(ctx, req, reply, 'unsubscribe');
    if (!found) return reply;
    await subscription.unsubscribe(found.sub);
    const prefs = tokens.sign('preferences', found.sub.id);
    return reply.code(200).type(HTML).send(unsubscribedPage(site, prefs));
  });
}

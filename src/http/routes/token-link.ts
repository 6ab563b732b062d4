import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { TokenPurpose } from '../../subscribers/tokens.js';
import type { HttpContext } from '../http-context.js';
import { badLinkPage } from '../pages/public-pages.js';

export const HTML = 'text/html; charset=utf-8';

/**
 * Requests per IP per minute on the token routes (bounds guessing without bothering anyone),
 * and a body limit: these forms are a few fields (one-click unsubscribe may be multipart).
 */
export const LINK_OPTS = {
  config: { rateLimit: { max: 60, timeWindow: 60_000 } },
  bodyLimit: 8 * 1024,
};

const TokenQuery = z.object({ token: z.string().max(200).optional() });

/** The page for a link that does not work: 410 for an expired one, 400 otherwise. */
export function sendBadLink(reply: FastifyReply, site: HttpContext['site'], code: string) {
  return reply
    .code(code === 'TOKEN_EXPIRED' ? 410 : 400)
    .type(HTML)
    .send(badLinkPage(site, code));
}

/**
 * The subscriber a link's `?token=` names for `purpose` (signed, checked in constant time:
 * src/subscribers/tokens.ts), or undefined once the bad-link page is sent. Only a verified
 * token comes back, so it is safe to print on a page. `dataAccess`: a data link (one with an
 * expiry, emailed on request), which also downloads and erases.
 */
export async function linkSubscriber(
  ctx: Pick<HttpContext, 'tokens' | 'subscribers' | 'site' | 'now'>,
  req: FastifyRequest,
  reply: FastifyReply,
  purpose: TokenPurpose,
) {
  const { token } = TokenQuery.parse(req.query);
  const v = ctx.tokens.verify(purpose, token ?? '', ctx.now());
  const sub = v.ok ? await ctx.subscribers.get(v.subscriberId) : undefined;
  if (!v.ok || !sub) {
    sendBadLink(reply, ctx.site, !token ? 'TOKEN_MISSING' : v.ok ? 'TOKEN_INVALID' : v.code);
    return undefined;
  }
  return { sub, token: token!, dataAccess: v.expiresAt > 0 };
}

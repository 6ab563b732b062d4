import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { SESSION_COOKIE, SESSION_TTL_SECONDS } from '../admin-auth.js';
import type { HttpContext } from '../http-context.js';
import { sendError } from '../http-errors.js';
import { loginPage } from '../pages/admin-pages.js';

const LoginQuery = z.object({ token: z.string().max(500).optional() });
const LoginBody = z.object({ token: z.string().max(500) });

/** How the current request proved it is the admin. */
export interface AdminIdentity {
  via: 'bearer' | 'cookie';
  /** The session value (cookie logins): the CSRF token is bound to it. */
  session?: string;
  csrf: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    admin?: AdminIdentity;
  }
}

/** Reads the bearer header or the session cookie; undefined when neither is valid. */
export function identify(ctx: HttpContext, req: FastifyRequest): AdminIdentity | undefined {
  if (req.headers.authorization !== undefined) {
    // A header that is present but wrong is refused even when a cookie would do.
    return ctx.auth.bearerMatches(req.headers.authorization)
      ? { via: 'bearer', csrf: '' }
      : undefined;
  }
  const session = req.cookies[SESSION_COOKIE];
  if (session && ctx.auth.verifySession(session))
    return { via: 'cookie', session, csrf: ctx.auth.csrfFor(session) };
  return undefined;
}

/**
 * Guards admin pages: bearer or session cookie; a GET without either goes to the login form.
 * Every cookie-authenticated POST must carry the session's CSRF token in `_csrf` (checked in
 * preHandler, once the form is parsed).
 */
export function guardAdminPages(app: FastifyInstance, ctx: HttpContext): void {
  app.addHook('onRequest', async (req, reply) => {
    req.admin = identify(ctx, req);
    if (req.admin) return;
    if (req.method === 'GET' || req.method === 'HEAD') return reply.redirect('/admin/login', 303);
    throw new AppError('UNAUTHORIZED', 'Log in as the admin first.', 401);
  });
  app.addHook('preHandler', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.admin?.via !== 'cookie') return;
    const given = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (!ctx.auth.verifyCsrf(req.admin.session!, given)) {
      throw new AppError(
        'CSRF_INVALID',
        'The form has expired or did not come from this site. Reload it and try again.',
        403,
      );
    }
  });
}

/**
 * Guards the admin API: `Authorization: Bearer <ADMIN_TOKEN>`; the admin pages' session cookie
 * is accepted for GETs (the dashboard polls), and for other methods only with the session's
 * CSRF token in an `x-csrf-token` header.
 */
export function guardAdminApi(app: FastifyInstance, ctx: HttpContext): void {
  app.addHook('onRequest', async (req) => {
    const hadCredentials =
      req.headers.authorization !== undefined || req.cookies[SESSION_COOKIE] !== undefined;
    req.admin = identify(ctx, req);
    if (!req.admin) {
      throw hadCredentials
        ? new AppError('UNAUTHORIZED', 'The admin token is not valid.', 401)
        : new AppError(
            'UNAUTHORIZED',
            'An admin token is required: Authorization: Bearer <ADMIN_TOKEN>.',
            401,
          );
    }
    if (req.admin.via === 'cookie' && req.method !== 'GET' && req.method !== 'HEAD') {
      if (!ctx.auth.verifyCsrf(req.admin.session!, req.headers['x-csrf-token'])) {
        throw new AppError(
          'CSRF_INVALID',
          'A cookie-authenticated change needs the x-csrf-token header.',
          403,
        );
      }
    }
  });
}

/** GET/POST /admin/login (form, and the one-time ?token= link), POST /admin/logout. */
export function registerAdminSession(app: FastifyInstance, ctx: HttpContext): void {
  const rateLimit = { max: ctx.limits.loginPerIp, timeWindow: 15 * 60_000 };

  function startSession(reply: FastifyReply) {
    return reply
      .setCookie(SESSION_COOKIE, ctx.auth.createSession(), {
        path: '/admin',
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.secureCookies,
        maxAge: SESSION_TTL_SECONDS,
      })
      .redirect('/admin', 303);
  }

  function refuse(req: FastifyRequest, reply: FastifyReply) {
    reply.header('cache-control', 'no-store');
    return reply
      .code(401)
      .type('text/html; charset=utf-8')
      .send(loginPage(ctx.site, 'That token is not right.'));
  }

  app.get('/admin/login', { config: { rateLimit } }, async (req, reply) => {
    const { token } = LoginQuery.parse(req.query);
    // The login link printed at first start: set the cookie, then drop the token from the URL.
    if (token !== undefined)
      return ctx.auth.tokenMatches(token) ? startSession(reply) : refuse(req, reply);
    if (identify(ctx, req)) return reply.redirect('/admin', 303);
    return reply.type('text/html; charset=utf-8').send(loginPage(ctx.site));
  });

  app.post('/admin/login', { config: { rateLimit } }, async (req, reply) => {
    const parsed = LoginBody.safeParse(req.body ?? {});
    if (!parsed.success || !ctx.auth.tokenMatches(parsed.data.token)) return refuse(req, reply);
    return startSession(reply);
  });

  app.post('/admin/logout', async (req, reply) => {
    const who = identify(ctx, req);
    const given = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (who?.via === 'cookie' && !ctx.auth.verifyCsrf(who.session!, given)) {
      return sendError(req, reply, ctx.site, {
        status: 403,
        code: 'CSRF_INVALID',
        message: 'Reload the page and try again.',
      });
    }
    return reply.clearCookie(SESSION_COOKIE, { path: '/admin' }).redirect('/admin/login', 303);
  });
}

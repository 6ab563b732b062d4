import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { SESSION_ABSOLUTE_MS, SESSION_COOKIE } from '../admin-sessions.js';
import type { AttemptOutcome } from '../auth-limiter.js';
import { clientId } from '../client-address.js';
import type { HttpContext } from '../http-context.js';
import { sendError } from '../http-errors.js';
import { loginPage } from '../pages/admin-pages.js';

const LoginQuery = z.object({ code: z.string().max(100).optional() });
const LoginBody = z.object({ token: z.string().max(500) });
const HTML = 'text/html; charset=utf-8';

/** How the current request proved it is the admin. */
export interface AdminIdentity {
  via: 'bearer' | 'cookie';
  /** The session id (cookie logins): the CSRF token is bound to it. */
  session?: string;
  csrf: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    admin?: AdminIdentity;
  }
}

/** The refusal of an attempt made while a delay runs: 429 with Retry-After. */
function tooMany(reply: FastifyReply, waitMs: number): AppError {
  reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
  return new AppError(
    'RATE_LIMITED',
    'Too many failed logins. Wait a few seconds and try again.',
    429,
  );
}

/** Counts an admin-token attempt; throws 429 while a delay runs. True when the token was right. */
async function attempt(
  ctx: HttpContext,
  req: FastifyRequest,
  reply: FastifyReply,
  ok: boolean,
): Promise<boolean> {
  const out: AttemptOutcome = await ctx.authLimiter.attempt(clientId(req.ip), ok);
  if (!out.ok && out.waitMs) throw tooMany(reply, out.waitMs);
  return out.ok;
}

/**
 * Reads the bearer header (counted by the limiter: it is a guess at the token) or the session
 * cookie (a random id: nothing to guess); undefined when neither is valid.
 */
export async function identify(
  ctx: HttpContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<AdminIdentity | undefined> {
  if (req.headers.authorization !== undefined) {
    // A header that is present but wrong is refused even when a cookie would do.
    const ok = await attempt(ctx, req, reply, ctx.auth.bearerMatches(req.headers.authorization));
    return ok ? { via: 'bearer', csrf: '' } : undefined;
  }
  const session = await ctx.sessions.verify(req.cookies[SESSION_COOKIE]);
  return session ? { via: 'cookie', session, csrf: ctx.sessions.csrfFor(session) } : undefined;
}

function checkCsrf(ctx: HttpContext, who: AdminIdentity, given: unknown, message: string): void {
  if (who.via === 'cookie' && !ctx.sessions.verifyCsrf(who.session!, given))
    throw new AppError('CSRF_INVALID', message, 403);
}

/**
 * Guards admin pages: bearer or session cookie; a GET without either goes to the login form.
 * Every cookie-authenticated POST must carry the session's CSRF token in `_csrf` (checked in
 * preHandler, once the form is parsed).
 */
export function guardAdminPages(app: FastifyInstance, ctx: HttpContext): void {
  app.addHook('onRequest', async (req, reply) => {
    req.admin = await identify(ctx, req, reply);
    if (req.admin) return;
    if (req.method === 'GET' || req.method === 'HEAD') return reply.redirect('/admin/login', 303);
    throw new AppError('UNAUTHORIZED', 'Log in as the admin first.', 401);
  });
  app.addHook('preHandler', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD' || !req.admin) return;
    checkCsrf(
      ctx,
      req.admin,
      (req.body as Record<string, unknown> | undefined)?._csrf,
      'The form has expired or did not come from this site. Reload it and try again.',
    );
  });
}

/**
 * Guards the admin API: `Authorization: Bearer <ADMIN_TOKEN>`; the admin pages' session cookie
 * is accepted for GETs (the dashboard polls), and for other methods only with the session's
 * CSRF token in an `x-csrf-token` header.
 */
export function guardAdminApi(app: FastifyInstance, ctx: HttpContext): void {
  app.addHook('onRequest', async (req, reply) => {
    const hadCredentials =
      req.headers.authorization !== undefined || req.cookies[SESSION_COOKIE] !== undefined;
    req.admin = await identify(ctx, req, reply);
    if (!req.admin) {
      throw hadCredentials
        ? new AppError('UNAUTHORIZED', 'The admin token is not valid.', 401)
        : new AppError(
            'UNAUTHORIZED',
            'An admin token is required: Authorization: Bearer <ADMIN_TOKEN>.',
            401,
          );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      checkCsrf(
        ctx,
        req.admin,
        req.headers['x-csrf-token'],
        'A cookie-authenticated change needs the x-csrf-token header.',
      );
  });
}

/**
 * GET/POST /admin/login (the form, and the one-time `?code=` link from the log or
 * `digest admin login-link`), POST /admin/logout (ends the session in Redis).
 */
export function registerAdminSession(app: FastifyInstance, ctx: HttpContext): void {
  const bodyLimit = 4 * 1024;

  async function startSession(reply: FastifyReply) {
    return reply
      .setCookie(SESSION_COOKIE, await ctx.sessions.create(), {
        path: '/admin',
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.secureCookies,
        maxAge: SESSION_ABSOLUTE_MS / 1000,
      })
      .header('cache-control', 'no-store')
      .redirect('/admin', 303);
  }

  function refuse(reply: FastifyReply, message: string) {
    return reply
      .code(401)
      .header('cache-control', 'no-store')
      .type(HTML)
      .send(loginPage(ctx.site, message));
  }

  app.get('/admin/login', async (req, reply) => {
    const { code } = LoginQuery.parse(req.query);
    if (code !== undefined) {
      // The code is single-use and unguessable; a wrong one still counts as a failure.
      if (await ctx.sessions.useLoginCode(code)) return startSession(reply);
      await attempt(ctx, req, reply, false);
      return refuse(reply, 'This login link has expired or was used already.');
    }
    if (await ctx.sessions.verify(req.cookies[SESSION_COOKIE]))
      return reply.redirect('/admin', 303);
    return reply.type(HTML).header('cache-control', 'no-store').send(loginPage(ctx.site));
  });

  app.post('/admin/login', { bodyLimit }, async (req, reply) => {
    const parsed = LoginBody.safeParse(req.body ?? {});
    const ok = parsed.success && ctx.auth.tokenMatches(parsed.data.token);
    if (!(await attempt(ctx, req, reply, ok))) return refuse(reply, 'That token is not right.');
    return startSession(reply);
  });

  app.post('/admin/logout', { bodyLimit }, async (req, reply) => {
    const cookie = req.cookies[SESSION_COOKIE];
    const session = await ctx.sessions.verify(cookie);
    const given = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (session && !ctx.sessions.verifyCsrf(session, given)) {
      return sendError(req, reply, ctx.site, {
        status: 403,
        code: 'CSRF_INVALID',
        message: 'Reload the page and try again.',
      });
    }
    await ctx.sessions.revoke(cookie);
    return reply.clearCookie(SESSION_COOKIE, { path: '/admin' }).redirect('/admin/login', 303);
  });
}

import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  LogController,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { AppError } from '../errors.js';
import type { createBackground } from './background.js';
import { clientId } from './client-address.js';
import { createHttpContext, type HttpContext } from './http-context.js';
import type { HttpDeps } from './deps.js';
import { createErrorHandler, createNotFoundHandler } from './http-errors.js';
import { registerAdminApi } from './routes/admin-api/index.js';
import { registerAdminPages } from './routes/admin-pages/index.js';
import { registerAdminSession } from './routes/admin-session.js';
import { registerAssets } from './routes/assets.js';
import { registerHealth } from './routes/health.js';
import { registerPublicRoutes } from './routes/public.js';

/** The Content-Security-Policy of every page; digest HTML (preview, archive) gets its own. */
function cspDirectives(https: boolean) {
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'https:'],
    // The admin preview frames load same-origin preview URLs.
    frameSrc: ["'self'"],
    frameAncestors: ["'self'"],
    formAction: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    upgradeInsecureRequests: https ? [] : null,
  };
}

/** Fastify's trustProxy: a hop count is proxy-addr's "trust the first n hops" function. */
function trustProxyOption(
  v: HttpDeps['trustProxy'],
): false | string[] | ((addr: string, hop: number) => boolean) {
  if (v === undefined || v === false) return false;
  if (typeof v === 'number') return (_addr, hop) => hop < v;
  return [...v];
}

/** The root instance: its logger is the service's pino logger (route scopes see the base type). */
type RootApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  HttpDeps['log']
>;

/** Fastify's own options: timeouts and limits from the context, no request logging. */
function fastifyOptions(deps: HttpDeps, ctx: HttpContext) {
  return {
    loggerInstance: deps.log,
    // Request URLs carry tokens: log our own line with the route pattern instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.limits.bodyLimit,
    // A slow body cannot hold a socket: the whole request must arrive within requestTimeout,
    // and an idle socket closes after connectionTimeout.
    requestTimeout: ctx.limits.requestTimeoutMs,
    connectionTimeout: 2 * ctx.limits.requestTimeoutMs,
    // Node checks requestTimeout only with a headersTimeout no longer than it, set at creation.
    http: {
      requestTimeout: ctx.limits.requestTimeoutMs,
      headersTimeout: Math.min(30_000, ctx.limits.requestTimeoutMs),
      connectionsCheckingInterval: ctx.limits.timeoutCheckMs,
    },
    // A hop count or the proxies' addresses (never "any"): see TRUST_PROXY in src/config.ts.
    trustProxy: trustProxyOption(deps.trustProxy),
    routerOptions: { ignoreTrailingSlash: true },
  };
}

/** Security headers, cookies, form and multipart bodies, the public pages' rate limit. */
async function registerPlugins(app: RootApp, deps: HttpDeps, ctx: HttpContext) {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(ctx.secureCookies) },
    // The admin API is same-origin only; nothing here is meant to be embedded elsewhere.
    crossOriginResourcePolicy: { policy: 'same-origin' },
    hsts: ctx.secureCookies ? undefined : false,
  });
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: ctx.limits.bodyLimit });
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: {
      fieldNameSize: 100,
      fieldSize: 64 * 1024,
      fields: 20,
      fileSize: ctx.limits.importLimit,
      files: 1,
      parts: 21,
    },
  });
  await app.register(rateLimit, {
    global: false,
    redis: deps.redis,
    nameSpace: `${deps.keys.rate('ip', '')}`,
    keyGenerator: (req) => clientId(req.ip),
    // Public pages only (admin authentication has its own limiter, which fails closed): with
    // Redis away the request itself fails with 503 at its first store call.
    skipOnError: true,
    errorResponseBuilder: () =>
      new AppError('RATE_LIMITED', 'Too many requests. Try again later.', 429),
  });
}

/** Error pages, a log line and a metric per request, and the metrics' collectors. */
function addObservers(app: RootApp, deps: HttpDeps, ctx: HttpContext) {
  app.setErrorHandler(createErrorHandler(ctx.site, deps.log));
  app.setNotFoundHandler(createNotFoundHandler(ctx.site));
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.recordHttp(route, reply.statusCode);
    req.log.debug(
      { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  app.addHook('onClose', async () => ctx.background.drain());
  ctx.metrics.addCollector(async () => ctx.metrics.setDigests(await deps.digests.list(20)));
  const queueCounts = deps.queueCounts;
  if (queueCounts) {
    ctx.metrics.addCollector(async () => {
      for (const [queue, counts] of Object.entries(await queueCounts()))
        ctx.metrics.setQueueDepth(queue, counts);
    });
  }
}

/**
 * Builds the HTTP app (public pages, admin pages and API, health and metrics) without
 * listening: `src/server.ts` listens, tests call `app.inject`. `app.background.drain()` waits
 * for work started after a response (confirmation emails).
 */
export async function buildApp(deps: HttpDeps) {
  const ctx = createHttpContext(deps);
  const app = Fastify(fastifyOptions(deps, ctx));
  app.decorate('background', ctx.background);
  await registerPlugins(app, deps, ctx);
  addObservers(app, deps, ctx);

  await app.register(async (scope) => {
    // Public pages answer within handlerTimeoutMs whatever happens (503 after it); admin
    // routes such as an import may take longer, and Redis's command timeout bounds them.
    scope.addHook('onRoute', (route) => {
      route.handlerTimeout ??= ctx.limits.handlerTimeoutMs;
    });
    registerAssets(scope, ctx);
    registerHealth(scope, ctx);
    registerPublicRoutes(scope, ctx);
    registerAdminSession(scope, ctx);
  });
  await app.register(async (scope) => registerAdminPages(scope, ctx), { prefix: '/admin' });
  await app.register(async (scope) => registerAdminApi(scope, ctx), { prefix: '/admin/api' });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    background: ReturnType<typeof createBackground>;
  }
}

import { AppError } from './errors.js';
import type { Context } from './context.js';
import { buildApp } from './http/app.js';
import { LOGIN_CODE_TTL_MS } from './http/admin-sessions.js';
import type { HttpLimits } from './http/deps.js';
import { createRedis, waitForReady } from './redis.js';
import { createServices, type Services } from './services.js';

/** The HTTP server cannot listen where HOST and PORT say. */
export class PortUnavailableError extends AppError {
  constructor(message: string) {
    super('PORT_UNAVAILABLE', message, 500);
    this.name = 'PortUnavailableError';
  }
}

/**
 * Exits with one sentence when the port is taken: called before any worker starts, so a
 * second `npm start` leaves the first one's jobs alone.
 */
export async function startHttpOrExit(ctx: Context, services: Services) {
  try {
    return await startHttp(ctx, services);
  } catch (err) {
    if (!(err instanceof PortUnavailableError)) throw err;
    process.stderr.write(`${err.message}\n`);
    await services.close().catch(() => {});
    await ctx.close().catch(() => {});
    process.exit(1);
  }
}

/**
 * The HTTP app from the composition root, not listening: what `startHttp` serves and what the
 * HTTP tests inject into. The app gets its own Redis client and stores on it, made to fail fast
 * (no offline queue, a command timeout: src/redis.ts), so a request answers 503 within seconds
 * while Redis is away, even in a process whose workers wait for it. `limits` and `now` are for
 * tests (src/http/deps.ts); the server passes neither.
 */
export async function createHttpApp(
  ctx: Context,
  services: Services,
  opts: { limits?: HttpLimits; now?: () => Date } = {},
) {
  const { config } = ctx;
  const redis = createRedis(config.redis, { url: ctx.redisUrl, forHttp: true });
  // While Redis is away every request says so (503); the client's own events only go to debug.
  redis.on('error', (err: Error) => ctx.log.debug({ err: err.message }, 'HTTP Redis client'));
  await waitForReady(redis);
  const web = createServices(
    { ...ctx, redis },
    { forHttp: true, metrics: services.metrics, now: opts.now },
  );
  const app = await buildApp({
    config,
    log: ctx.log,
    redis,
    keys: ctx.keys,
    subscribers: web.subscribers,
    groups: web.groups,
    tokens: web.tokens,
    feeds: web.feeds,
    topics: web.topics,
    posts: web.posts,
    ingest: web.ingest,
    ingestJobs: web.ingestJobs,
    digests: web.digestService,
    mailer: services.mailer(),
    renderer: web.renderer,
    adminToken: services.adminToken().token,
    secret: web.secret,
    metrics: services.metrics,
    queueCounts: web.queueCounts,
    trustProxy: config.http.trustProxy,
    limits: opts.limits,
    now: opts.now,
  });
  app.addHook('onClose', async () => {
    await web.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  return { app, redis, services: web };
}

/** Builds the HTTP app (createHttpApp) and listens on HOST:PORT. */
export async function startHttp(ctx: Context, services: Services) {
  const { config } = ctx;
  const { app } = await createHttpApp(ctx, services);
  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new PortUnavailableError(
        code === 'EADDRINUSE'
          ? `Port ${config.http.port} on ${config.http.host} is in use (another digest, or another program): stop it, or set PORT to a free port.`
          : `Cannot listen on ${config.http.host}:${config.http.port} (${code}): set HOST and PORT to an address this machine has and may use.`,
      );
    }
    throw err;
  }
  ctx.log.info(
    `listening on ${config.site.publicUrl} (bound to ${config.http.host}:${config.http.port})`,
  );
  // A fresh install: a one-time link into the dashboard (the token itself is never logged).
  if (services.adminToken().generated) await logLoginLink(ctx, services);
  return app;
}

/** Logs a one-time admin login link (`digest admin login-link` prints another). */
export async function logLoginLink(ctx: Context, services: Services): Promise<void> {
  const code = await services.adminSessions.createLoginCode();
  ctx.log.warn(
    `One-time admin login link (works once, for ${LOGIN_CODE_TTL_MS / 60_000} minutes): ` +
      `${services.links.adminLogin()}?code=${code} — for another: npm run digest -- admin login-link`,
  );
}

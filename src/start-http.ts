import type { Context } from './context.js';
import { buildApp } from './http/app.js';
import type { Services } from './services.js';

/** Builds the HTTP app from the services and listens on HOST:PORT. */
export async function startHttp(ctx: Context, services: Services) {
  const { config } = ctx;
  const app = await buildApp({
    config,
    log: ctx.log,
    redis: ctx.redis,
    keys: ctx.keys,
    subscribers: services.subscribers,
    tokens: services.tokens,
    feeds: services.feeds,
    posts: services.posts,
    ingest: services.ingest,
    digests: services.digestService,
    mailer: services.mailer(),
    renderer: services.renderer,
    adminToken: services.adminToken().token,
    metrics: services.metrics,
    queueCounts: services.queueCounts,
    trustProxy: config.http.trustProxy,
  });
  await app.listen({ host: config.http.host, port: config.http.port });
  ctx.log.info(
    `listening on ${config.site.publicUrl} (bound to ${config.http.host}:${config.http.port})`,
  );
  return app;
}

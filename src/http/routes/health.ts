import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.js';

const READY_TIMEOUT_MS = 1000;

/**
 * /healthz (the process answers), /readyz (Redis takes a write: a Redis that answers but is
 * out of memory or a read-only replica cannot store a signup, so it is not ready),
 * /metrics (Prometheus text).
 */
export function registerHealth(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS);
    });
    try {
      const probe = ctx.redis.set(ctx.keys.readyProbe, String(Date.now()), 'PX', 60_000);
      const ok = await Promise.race([probe, timeout]);
      if (ok !== 'OK') throw new Error(`unexpected reply ${String(ok)}`);
      return { status: 'ok' };
    } catch (err) {
      const message = `Redis does not take writes: ${(err as Error).message}`;
      ctx.log.warn({ err: (err as Error).message }, `readiness check failed: ${message}`);
      return reply.code(503).send({
        status: 'unavailable',
        error: { code: 'REDIS_UNAVAILABLE', message },
      });
    } finally {
      clearTimeout(timer);
    }
  });

  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await ctx.metrics.render();
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });
}

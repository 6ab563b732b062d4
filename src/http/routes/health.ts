import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.js';

const READY_TIMEOUT_MS = 1000;

/** /healthz (the process answers), /readyz (Redis answers PING), /metrics (Prometheus text). */
export function registerHealth(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS);
    });
    try {
      const pong = await Promise.race([ctx.redis.ping(), timeout]);
      if (pong !== 'PONG') throw new Error(`unexpected reply ${String(pong)}`);
      return { status: 'ok' };
    } catch (err) {
      ctx.log.warn({ err }, 'readiness check failed: Redis does not answer');
      return reply.code(503).send({
        status: 'unavailable',
        error: { code: 'REDIS_UNAVAILABLE', message: 'Redis does not answer' },
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

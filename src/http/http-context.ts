import { createArchive } from '../digests/archive.js';
import { createMetrics } from '../metrics.js';
import { createLinks } from '../subscribers/links.js';
import { createSubscription } from '../subscribers/subscription.js';
import { createAdminAuth } from './admin-auth.js';
import { createAdminSessions } from './admin-sessions.js';
import { createAuthLimiter, DEFAULT_AUTH_LIMITS } from './auth-limiter.js';
import { createBackground } from './background.js';
import type { HttpDeps, HttpLimits } from './deps.js';

const DEFAULT_LIMITS: Required<Omit<HttpLimits, 'auth'>> = {
  subscribePerIpPerMinute: 10,
  confirmationsPerAddressPerDay: 10,
  confirmationsPerRequesterPerDay: 3,
  bodyLimit: 64 * 1024,
  importLimit: 20 * 1024 * 1024,
  requestTimeoutMs: 60_000,
  timeoutCheckMs: 5_000,
  handlerTimeoutMs: 30_000,
  minFormSeconds: 2,
};

/** Everything route modules use: the deps plus what buildApp derives from them. */
export function createHttpContext(deps: HttpDeps) {
  const now = deps.now ?? (() => new Date());
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const links = createLinks({ publicUrl: deps.config.site.publicUrl, tokens: deps.tokens });
  const background = createBackground(deps.log);
  return {
    ...deps,
    now,
    limits,
    links,
    background,
    archive: createArchive({ digests: deps.digests, offered: deps.config.digest.frequencies }),
    site: deps.config.site,
    secureCookies: deps.config.site.publicUrl.startsWith('https://'),
    metrics: deps.metrics ?? createMetrics({ defaultMetrics: false }),
    auth: createAdminAuth({ adminToken: deps.adminToken }),
    sessions: createAdminSessions({ redis: deps.redis, keys: deps.keys, secret: deps.secret, now }),
    authLimiter: createAuthLimiter({
      redis: deps.redis,
      keys: deps.keys,
      limits: { ...DEFAULT_AUTH_LIMITS, ...deps.limits?.auth },
    }),
    subscription: createSubscription({
      ...deps,
      links,
      now,
      confirmations: {
        perAddress: limits.confirmationsPerAddressPerDay,
        perRequester: limits.confirmationsPerRequesterPerDay,
      },
    }),
  };
}

export type HttpContext = ReturnType<typeof createHttpContext>;

import { createMetrics } from '../metrics.js';
import { createLinks } from '../subscribers/links.js';
import { createSubscription } from '../subscribers/subscription.js';
import { createAdminAuth } from './admin-auth.js';
import { createBackground } from './background.js';
import type { HttpDeps, HttpLimits } from './deps.js';

const DEFAULT_LIMITS: Required<HttpLimits> = {
  subscribePerIpPerMinute: 10,
  confirmationsPerAddressPerDay: 3,
  loginPerIp: 20,
  bodyLimit: 64 * 1024,
  importLimit: 20 * 1024 * 1024,
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
    site: deps.config.site,
    secureCookies: deps.config.site.publicUrl.startsWith('https://'),
    metrics: deps.metrics ?? createMetrics({ defaultMetrics: false }),
    auth: createAdminAuth({ adminToken: deps.adminToken, now }),
    subscription: createSubscription({
      ...deps,
      links,
      now,
      confirmationsPerDay: limits.confirmationsPerAddressPerDay,
    }),
  };
}

export type HttpContext = ReturnType<typeof createHttpContext>;

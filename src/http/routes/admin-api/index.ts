import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../../http-context.js';
import { guardAdminApi } from '../admin-session.js';
import { registerDigestApi } from './digests.js';
import { registerFeedApi } from './feeds.js';
import { registerPostApi } from './posts.js';
import { registerSubscriberApi } from './subscribers.js';
import { registerTopicApi } from './topics.js';

/**
 * The admin JSON API under /admin/api, one file per resource. Errors:
 * `{ error: { code, message } }`.
 */
export function registerAdminApi(app: FastifyInstance, ctx: HttpContext): void {
  guardAdminApi(app, ctx);
  registerDigestApi(app, ctx);
  registerSubscriberApi(app, ctx);
  registerFeedApi(app, ctx);
  registerPostApi(app, ctx);
  registerTopicApi(app, ctx);
}

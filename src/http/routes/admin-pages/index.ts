import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../../http-context.js';
import { guardAdminPages } from '../admin-session.js';
import { registerDigestPages } from './digests.js';
import { registerFeedPages } from './feeds.js';
import { registerSubscriberPages } from './subscribers.js';
import { registerTopicPages } from './topics.js';

/** Admin pages under /admin, one file per resource: dashboard and digests, subscribers, feeds, topics. */
export function registerAdminPages(app: FastifyInstance, ctx: HttpContext): void {
  guardAdminPages(app, ctx);
  registerDigestPages(app, ctx);
  registerSubscriberPages(app, ctx);
  registerFeedPages(app, ctx);
  registerTopicPages(app, ctx);
}

import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.js';
import { registerArchive } from './public-archive.js';
import { registerLinkRoutes } from './public-links.js';
import { registerSubscribe } from './public-subscribe.js';

/** Public pages: subscribe, confirm, unsubscribe, preferences, archive. */
export function registerPublicRoutes(app: FastifyInstance, ctx: HttpContext): void {
  registerSubscribe(app, ctx);
  registerLinkRoutes(app, ctx);
  registerArchive(app, ctx);
}

import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.js';
import { registerArchive } from './public-archive.js';
import { registerFrequencyRoutes } from './public-frequency.js';
import { registerLinkRoutes } from './public-links.js';
import { registerPreferencesRoutes } from './public-preferences.js';
import { registerSubscribe } from './public-subscribe.js';

/** Public pages: subscribe, confirm, unsubscribe, preferences, frequency links, archive. */
export function registerPublicRoutes(app: FastifyInstance, ctx: HttpContext): void {
  registerSubscribe(app, ctx);
  registerLinkRoutes(app, ctx);
  registerPreferencesRoutes(app, ctx);
  registerFrequencyRoutes(app, ctx);
  registerArchive(app, ctx);
}

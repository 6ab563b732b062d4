import { loadConfigOrExit } from './config.js';
import { createContextOrExit } from './context.js';
import { createServices } from './services.js';
import { onShutdown } from './shutdown.js';
import { startHttpOrExit } from './start-http.js';
import { startWorkers } from '../workers/start-workers.js';

/**
 * Entry for `npm start`: the HTTP server and every worker in one process, for a small site.
 * With no configuration at all it starts a private redis-server when none answers, makes a
 * secret and an admin token under ./data, and writes mail to ./data/outbox.
 */
const config = loadConfigOrExit();
// This process runs the workers too: store commands wait out a Redis restart (see workers/main.ts).
const ctx = await createContextOrExit(config, { logName: 'digest', waitForRedis: true });
const services = createServices(ctx);
// Listen first: a port in use stops the process before any worker takes a job.
const app = await startHttpOrExit(ctx, services);
await services.addConfiguredFeeds();
const workers = await startWorkers(services);
onShutdown(ctx.log, async () => {
  await app.close();
  await workers.close();
  await services.close();
  await ctx.close();
});

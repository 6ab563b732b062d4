import { loadConfigOrExit } from './config.js';
import { createContextOrExit } from './context.js';
import { createServices } from './services.js';
import { onShutdown } from './shutdown.js';
import { startHttp } from './start-http.js';

/** Entry: the HTTP server and the schedules, without workers (run those apart). */
const config = loadConfigOrExit();
const ctx = await createContextOrExit(config, { logName: 'http' });
const services = createServices(ctx);
await services.addConfiguredFeeds();
await services.scheduler.start();
const app = await startHttp(ctx, services);
onShutdown(ctx.log, async () => {
  await app.close();
  await services.close();
  await ctx.close();
});

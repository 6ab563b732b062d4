import { loadConfigOrExit } from './config.js';
import { createContextOrExit } from './context.js';
import { createServices } from './services.js';
import { onShutdown } from './shutdown.js';
import { startHttpOrExit } from './start-http.js';

/** Entry: the HTTP server and the schedules, without workers (run those apart). */
const config = loadConfigOrExit();
const ctx = await createContextOrExit(config, { logName: 'http' });
const services = createServices(ctx);
const app = await startHttpOrExit(ctx, services);
await services.addConfiguredFeeds();
await services.migrate();
await services.scheduler.start();
onShutdown(ctx.log, async () => {
  await app.close();
  await services.close();
  await ctx.close();
});

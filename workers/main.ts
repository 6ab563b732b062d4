import { loadConfigOrExit } from '../src/config.js';
import { createContextOrExit } from '../src/context.js';
import { createServices } from '../src/services.js';
import { onShutdown } from '../src/shutdown.js';
import { startMetricsServer } from './metrics-server.js';
import { startWorkers } from './start-workers.js';

/** Entry: the ingest, build and send workers alone. Run as many of these as you like. */
const config = loadConfigOrExit();
// Store commands wait out a Redis restart: a ledger write must not be lost after an SMTP 250.
const ctx = await createContextOrExit(config, { logName: 'worker', waitForRedis: true });
const services = createServices(ctx);
await services.addConfiguredFeeds();
const workers = await startWorkers(services);
const metricsServer =
  config.metricsPort === undefined
    ? undefined
    : await startMetricsServer(services.metrics, config.http.host, config.metricsPort);
onShutdown(ctx.log, async () => {
  metricsServer?.close();
  await workers.close();
  await services.close();
  await ctx.close();
});

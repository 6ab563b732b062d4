import { createServer, type Server } from 'node:http';
import type { Metrics } from '../src/metrics.js';

/**
 * A worker process's own /metrics (Prometheus text) on METRICS_PORT: its deliveries by result
 * and SMTP reply times, which only the process that sent them knows. Scrape every worker; the
 * HTTP server's /metrics shows what lives in Redis (digests, queue depths).
 */
export async function startMetricsServer(
  metrics: Pick<Metrics, 'render'>,
  host: string,
  port: number,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

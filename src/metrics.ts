import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Delivery outcomes as the send path records them. */
export type DeliveryResult = 'sent' | 'failed' | 'skipped' | 'rolled' | 'retried' | 'throttled';

/**
 * Prometheus metrics of one process, on its own registry (no global state, so tests and several
 * apps in one process do not collide). Workers record into it (`recordDelivery`,
 * `observeSmtpReply`); values that live in Redis (digests by status, queue depths) are read at
 * scrape time by collectors the entry point adds, so /metrics is right whichever process did
 * the work.
 */
export function createMetrics(opts: { defaultMetrics?: boolean; prefix?: string } = {}) {
  const registry = new Registry();
  const p = opts.prefix ?? 'digest_';
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: p });

  const collectors: (() => Promise<void>)[] = [];
  const m = createInstruments(registry, p);

  return {
    registry,
    /** Counts one delivery outcome (or `n` of them) in this process. */
    recordDelivery(result: DeliveryResult, n = 1): void {
      m.deliveries.inc({ result }, n);
    },
    /** Records how long an SMTP reply took; `code` is the reply code when there was one. */
    observeSmtpReply(seconds: number, code?: number): void {
      const cls = code ? `${Math.floor(code / 100)}xx` : 'none';
      m.smtpReply.observe({ class: cls }, seconds);
    },
    /** Sets the depths of one queue, e.g. from BullMQ's `getJobCounts()`. */
    setQueueDepth(queue: string, counts: Record<string, number>): void {
      for (const [state, n] of Object.entries(counts)) m.queueDepth.set({ queue, state }, n);
    },
    /** Replaces the digests-by-status gauge and the recent digests' delivery counters. */
    setDigests(digests: DigestCounts[]): void {
      setDigestGauges(m, digests);
    },
    recordHttp(route: string, statusCode: number): void {
      m.httpRequests.inc({ route, status: `${Math.floor(statusCode / 100)}xx` });
    },
    /** Adds a function run before each scrape (reads Redis, sets gauges). */
    addCollector(fn: () => Promise<void>): void {
      collectors.push(fn);
    },
    /** Runs the collectors (a failing one is skipped, not fatal) and renders the text format. */
    async render(): Promise<{ contentType: string; body: string }> {
      await Promise.all(collectors.map((fn) => fn().catch(() => undefined)));
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** A recent digest as the digests gauges read it. */
interface DigestCounts {
  date: string;
  status: string;
  counters?: { sent: number; failed: number; skipped: number; pending: number };
}

/** The gauges, counters and histogram of one registry, named under prefix `p`. */
function createInstruments(registry: Registry, p: string) {
  return {
    digestsByStatus: new Gauge({
      name: `${p}digests`,
      help: 'Digests by status (recent digests, read from Redis at scrape time)',
      labelNames: ['status'],
      registers: [registry],
    }),
    digestDeliveries: new Gauge({
      name: `${p}digest_deliveries`,
      help: 'Deliveries of recent digests by result, from the digest counters in Redis',
      labelNames: ['date', 'result'],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: `${p}deliveries_total`,
      help: 'Deliveries handled by this process, by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: `${p}queue_jobs`,
      help: 'Jobs in each BullMQ queue, by state',
      labelNames: ['queue', 'state'],
      registers: [registry],
    }),
    smtpReply: new Histogram({
      name: `${p}smtp_reply_seconds`,
      help: 'Time from handing a message to SMTP to its reply, by reply class',
      labelNames: ['class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: `${p}http_requests_total`,
      help: 'HTTP requests by route and status class',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
  };
}

function setDigestGauges(
  m: Pick<ReturnType<typeof createInstruments>, 'digestsByStatus' | 'digestDeliveries'>,
  digests: DigestCounts[],
): void {
  m.digestsByStatus.reset();
  m.digestDeliveries.reset();
  const byStatus = new Map<string, number>();
  for (const d of digests) {
    byStatus.set(d.status, (byStatus.get(d.status) ?? 0) + 1);
    for (const result of ['sent', 'failed', 'skipped', 'pending'] as const) {
      const n = d.counters?.[result];
      if (typeof n === 'number') m.digestDeliveries.set({ date: d.date, result }, n);
    }
  }
  for (const [status, n] of byStatus) m.digestsByStatus.set({ status }, n);
}

export type Metrics = ReturnType<typeof createMetrics>;

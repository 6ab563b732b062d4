import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DATE,
  digestWhen,
  seedPostAndReaders,
  startPipeline,
  statusIn,
  type Pipeline,
} from '../helpers/pipeline.js';
import { freePort } from '../helpers/redis-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

let p: Pipeline;
let sink: SmtpSink;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  sink = await startSmtpSink();
  p = await startPipeline('worker-metrics', { SMTP_URL: sink.url });
  await seedPostAndReaders(p, 5, 'm');
});

afterAll(async () => {
  await worker?.kill();
  await p.stop();
  await sink.close();
});

describe('a worker process with METRICS_PORT', () => {
  // Bounded by its wait (30 s) and a worker start (tsx loads in ~10 s on a loaded box).
  it(
    'serves its own deliveries and SMTP reply times on /metrics',
    { timeout: 120_000 },
    async () => {
      const port = await freePort();
      worker = startWorkerProcess({ ...p.env, METRICS_PORT: String(port), HOST: '127.0.0.1' });
      await worker.ready;
      await p.services.digestService.trigger(DATE);
      await digestWhen(p, statusIn('sent'), { timeoutMs: 30_000, what: 'the digest' });

      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/^digest_deliveries_total\{result="sent"\} 5$/m);
      expect(text).toMatch(/^digest_smtp_reply_seconds_count\{class="2xx"\} 5$/m);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    },
  );
});

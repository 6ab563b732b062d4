import { afterAll, beforeAll } from 'vitest';
import {
  DATE,
  digestWhen,
  seedPostAndReaders,
  startPipeline,
  statusIn,
  waitFor,
  type DigestSummary,
  type Pipeline,
} from './pipeline.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';
import { workerGroup, type WorkerProcess } from './worker-process.js';

/**
 * The suites that stop a worker process in the middle of a send (SIGKILL, SIGTERM): a pipeline
 * with one post and `n` confirmed subscribers (`<tag>0@example.org`, …), and an SMTP sink that
 * answers each DATA after `dataDelayMs`, so that messages are in flight when the worker stops.
 * Started in beforeAll; stopped in afterAll with every worker process still running.
 */
export function midRunSuite(
  name: string,
  opts: { n: number; tag: string; dataDelayMs: number; env: Record<string, string> },
) {
  let p: Pipeline | undefined;
  let sink: SmtpSink | undefined;
  const workers = workerGroup();
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('midRunSuite: used before its beforeAll ran');
    return v;
  };
  beforeAll(async () => {
    sink = await startSmtpSink({ dataDelayMs: opts.dataDelayMs });
    p = await startPipeline(name, { SMTP_URL: sink.url, ...opts.env });
    await seedPostAndReaders(p, opts.n, opts.tag);
  });
  afterAll(async () => {
    await workers.killAll();
    await p?.stop();
    await sink?.close();
  });
  return {
    get p() {
      return started(p);
    },
    get sink() {
      return started(sink);
    },
    /**
     * Starts a worker process, triggers the digest of DATE and resolves with that worker once
     * a quarter of the subscribers have their message at the sink (within 60 s).
     */
    async firstWorkerMidRun(): Promise<WorkerProcess> {
      const first = workers.start(started(p).env);
      await started(p).services.digestService.trigger(DATE);
      const s = started(sink);
      await waitFor(async () => s.messages.length >= opts.n / 4, 60_000, 'first deliveries');
      return first;
    },
    /** Starts a second worker process; the digest's summary once it is `sent`. */
    async secondWorkerFinishes(timeoutMs: number, what: string): Promise<DigestSummary> {
      workers.start(started(p).env);
      return digestWhen(started(p), statusIn('sent'), { timeoutMs, what });
    },
  };
}

/**
 * `npm run bench [-- --subscribers N --workers W]`: sends one digest of 20 posts to N confirmed
 * subscribers through the real pipeline (worker processes, Redis, ledger, pooled SMTP) into
 * Postfix's smtp-sink, then has Postfix's C smtp-source send as many messages of the same size
 * into the same sink, and prints both rates and their ratio. Writes bench/results.json.
 *
 * It starts its own redis-server on a free port (it fills Redis; the machine's is left alone).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { listIdFor } from '../src/mail/headers.js';
import { prepareDigestMessage } from '../src/mail/digest-message.js';
import { startLocalRedis } from '../src/redis.js';
import { freePort } from '../test-support/free-port.js';
import { createServices } from '../src/services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '1' },
    connections: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '100' },
    batch: { type: 'string', default: '100' },
    out: { type: 'string', default: path.join(root, 'bench/results.json') },
  },
});
const S = Number(args.subscribers);
const W = Number(args.workers);
const CONNECTIONS = Number(args.connections);
const DATE = '2026-11-30';

const children: ChildProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** smtp-sink / smtp-source: env SMTP_SINK / SMTP_SOURCE, then PATH, then ../shared/tools/postfix-tool. */
function postfixCommand(name: 'smtp-sink' | 'smtp-source'): string[] | undefined {
  const env = process.env[name === 'smtp-sink' ? 'SMTP_SINK' : 'SMTP_SOURCE'];
  if (env) return env.split(' ');
  if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return [name];
  const tool = path.resolve(root, '../shared/tools/postfix-tool');
  if (existsSync(tool) && spawnSync(tool, [name], { stdio: 'ignore' }).error === undefined) {
    // The tool downloads Debian's package on first use; check that it can run at all.
    const probe = spawnSync(tool, [name, '-h'], { encoding: 'utf8' });
    if (/usage/i.test(`${probe.stderr}${probe.stdout}`)) return [tool, name];
  }
  return undefined;
}

/**
 * Starts the sink. Postfix's smtp-sink runs with -c (running counters on stdout), so the
 * messages it received can be read back: `received()` gives the latest count.
 */
async function startSink(
  port: number,
): Promise<{ kind: string; received?: () => number | undefined }> {
  const sink = postfixCommand('smtp-sink');
  if (sink) {
    const [cmd, ...rest] = sink;
    const userArgs =
      process.getuid?.() === 0 && cmd !== path.resolve(root, '../shared/tools/postfix-tool')
        ? ['-u', 'root']
        : [];
    const child = spawn(cmd!, [...rest, ...userArgs, '-c', `127.0.0.1:${port}`, '1000'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('latin1')).slice(-200);
    });
    await waitPort(port);
    const received = () => {
      const all = [...tail.matchAll(/mesg=(\d+)/g)];
      return all.length ? Number(all[all.length - 1]![1]) : undefined;
    };
    return { kind: 'postfix smtp-sink', received };
  }
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'bench/node-sink.ts'), String(port)],
    { stdio: 'ignore' },
  );
  children.push(child);
  await waitPort(port);
  return { kind: 'node smtp-server sink (Postfix tools missing)' };
}

async function waitPort(port: number) {
  const { isListening } = await import('../src/redis.js');
  for (let i = 0; i < 100; i++) {
    if (await isListening('127.0.0.1', port, 200)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Peak RSS (VmHWM) of a live process, in MB. */
function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

function lorem(words: number, seed: number): string {
  const vocab =
    'digest weekly post feed reader email server queue redis worker build render window subscriber ledger claim send batch pool connection template summary archive'.split(
      ' ',
    );
  return Array.from({ length: words }, (_, i) => vocab[(seed * 7 + i * 13) % vocab.length]).join(
    ' ',
  );
}

async function main() {
  const redisPort = await freePort();
  const redisDir = mkdtempSync(path.join(tmpdir(), 'digest-bench-redis-'));
  const redis = await startLocalRedis({ dir: redisDir, port: redisPort, appendonly: false });
  cleanups.push(
    () => redis.stop(),
    () => rmSync(redisDir, { recursive: true, force: true }),
  );

  const sinkPort = await freePort();
  const sink = await startSink(sinkPort);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'digest-bench-data-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    REDIS_PREFIX: '{bench}',
    DATA_DIR: dataDir,
    SECRET: 'bench-secret-bench-secret-bench-secret-00',
    PUBLIC_URL: 'https://digest.example.com',
    MAIL_FROM: 'Bench Digest <digest@example.com>',
    SITE_NAME: 'Bench Digest',
    POSTAL_ADDRESS: '1 Bench Street, Benchville',
    SMTP_URL: `smtp://127.0.0.1:${sinkPort}`,
    SMTP_MAX_CONNECTIONS: String(CONNECTIONS),
    SEND_CONCURRENCY: args.concurrency,
    SEND_BATCH_SIZE: args.batch,
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const ctx = await createContext(config, { checkRedis: false });
  const services = createServices(ctx);

  console.log(
    `bench: ${S} subscribers, ${W} worker process(es), ${CONNECTIONS} SMTP connections each, sink: ${sink.kind}`,
  );
  let t = Date.now();
  for (let i = 0; i < 20; i++) {
    await services.posts.addManual(
      {
        title: `Post ${i + 1}: ${lorem(8, i)}`,
        url: `https://blog.example.com/2026/11/post-${i + 1}`,
        date: new Date(Date.UTC(2026, 10, 23, 12) + i * 3_600_000 * 7),
        summary: lorem(45, i),
      },
      new Date(),
    );
  }
  const CHUNK = 10_000;
  for (let i = 0; i < S; i += CHUNK) {
    const n = Math.min(CHUNK, S - i);
    await services.subscribers.addMany(
      Array.from({ length: n }, (_, j) => ({
        email: `reader${i + j}@bench.example.org`,
        status: 'confirmed' as const,
      })),
    );
  }
  const seedSeconds = (Date.now() - t) / 1000;
  console.log(`seeded ${S} subscribers in ${seedSeconds.toFixed(1)} s`);

  const workerPids: number[] = [];
  for (let i = 0; i < W; i++) {
    const child = spawn(
      process.execPath,
      ['--max-semi-space-size=4', '--import', 'tsx', path.join(root, 'workers/main.ts')],
      {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(child);
    workerPids.push(child.pid!);
  }
  // Wait until every worker process is ready to take jobs.
  while ((await services.queues.send.getWorkersCount()) < W)
    await new Promise((r) => setTimeout(r, 100));

  const rssPeak = new Map<number, number>();
  const sampler = setInterval(() => {
    for (const pid of workerPids)
      rssPeak.set(pid, Math.max(rssPeak.get(pid) ?? 0, peakRssMb(pid) ?? 0));
  }, 500);

  t = Date.now();
  await services.digestService.trigger(DATE);
  let fanoutMs: number | undefined;
  let firstSentAt: number | undefined;
  let summary;
  for (;;) {
    summary = await services.digests.getSummary(DATE);
    const fanoutAt = await ctx.redis.hget(ctx.keys.digest(DATE), 'fanoutAt');
    if (fanoutAt && fanoutMs === undefined) fanoutMs = new Date(fanoutAt).getTime() - t;
    if (summary && summary.counters.sent > 0 && firstSentAt === undefined) firstSentAt = Date.now();
    if (summary && ['sent', 'sent_with_failures', 'failed'].includes(summary.status)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const totalMs = Date.now() - t;
  clearInterval(sampler);
  for (const pid of workerPids)
    rssPeak.set(pid, Math.max(rssPeak.get(pid) ?? 0, peakRssMb(pid) ?? 0));
  const buildMs = summary.builtAt ? new Date(summary.builtAt).getTime() - t : undefined;
  const rate = S / (totalMs / 1000);
  // No duplicate and nobody missed: one final ledger entry per subscriber, and the sink's own
  // count of messages received (Postfix's smtp-sink only) equal to the subscribers.
  await new Promise((r) => setTimeout(r, 500));
  const sinkReceived = sink.received?.();
  const ledgerEntries = await ctx.redis.hlen(ctx.keys.ledger(DATE));
  const info = await ctx.redis.info('memory');
  const redisPeakMb = Math.round(Number(/used_memory_peak:(\d+)/.exec(info)?.[1] ?? 0) / 1048576);

  // The same size of message, for the reference client.
  const digest = (await services.digests.get(DATE))!;
  const sample = prepareDigestMessage({
    subject: digest.subject,
    html: digest.html,
    text: digest.text,
    from: config.mail.from,
    fromAddress: config.mail.fromAddress,
    listId: listIdFor(config.site.name, config.mail.fromAddress),
  }).build({
    email: 'reader1@bench.example.org',
    unsubscribeUrl: `https://digest.example.com/unsubscribe?token=${services.tokens.sign('unsubscribe', 1)}`,
    preferencesUrl: `https://digest.example.com/preferences?token=${services.tokens.sign('preferences', 1)}`,
  });

  for (const c of children.slice(1)) c.kill('SIGTERM');
  let reference: { rate: number; seconds: number } | undefined;
  const source = postfixCommand('smtp-source');
  if (source && sink.kind.startsWith('postfix')) {
    const [cmd, ...rest] = source;
    const r0 = Date.now();
    // Asynchronous: the event loop must keep draining smtp-sink's counter output meanwhile.
    const child = spawn(
      cmd!,
      [
        ...rest,
        '-d',
        '-s',
        String(CONNECTIONS * W),
        '-m',
        String(S),
        '-l',
        String(sample.length),
        `127.0.0.1:${sinkPort}`,
      ],
      { stdio: 'ignore' },
    );
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const seconds = (Date.now() - r0) / 1000;
    if (code === 0) reference = { rate: S / seconds, seconds };
    else console.log(`smtp-source failed with exit code ${code}`);
  }

  const results = {
    date: new Date().toISOString(),
    subscribers: S,
    workers: W,
    smtpConnectionsPerWorker: CONNECTIONS,
    sendConcurrency: Number(args.concurrency),
    batchSize: Number(args.batch),
    messageBytes: sample.length,
    htmlBytes: digest.html.length,
    sink: sink.kind,
    seedSeconds,
    buildSeconds: buildMs === undefined ? undefined : buildMs / 1000,
    fanoutSeconds: fanoutMs === undefined ? undefined : fanoutMs / 1000,
    totalSeconds: totalMs / 1000,
    messagesPerSecond: Math.round(rate),
    sent: summary.counters.sent,
    failed: summary.counters.failed,
    ledgerEntries,
    sinkReceived,
    duplicates: sinkReceived === undefined ? undefined : sinkReceived - summary.counters.sent,
    referenceMessagesPerSecond: reference ? Math.round(reference.rate) : undefined,
    ratio: reference ? Number((rate / reference.rate).toFixed(3)) : undefined,
    workerPeakRssMb: workerPids.map((pid) => rssPeak.get(pid)),
    redisPeakUsedMemoryMb: redisPeakMb,
  };
  console.log(
    `build: ${results.buildSeconds?.toFixed(2)} s, fan-out done at ${results.fanoutSeconds?.toFixed(2)} s`,
  );
  console.log(
    `pipeline: ${results.sent} sent, ${results.failed} failed in ${results.totalSeconds.toFixed(1)} s = ${results.messagesPerSecond} messages/s (${results.messageBytes} bytes each)`,
  );
  console.log(
    `ledger entries: ${ledgerEntries}; messages received by the sink: ${sinkReceived ?? 'not counted'}`,
  );
  if (reference) {
    console.log(
      `smtp-source: ${results.referenceMessagesPerSecond} messages/s (${reference.seconds.toFixed(1)} s, ${CONNECTIONS * W} sessions)`,
    );
    console.log(`ratio pipeline / smtp-source: ${results.ratio}`);
  } else {
    console.log('smtp-source not available: no reference ratio was measured');
  }
  console.log(
    `worker peak RSS (MB): ${results.workerPeakRssMb.join(', ')}; Redis peak used_memory: ${redisPeakMb} MB`,
  );
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), args.out)}`);

  await services.close();
  await ctx.close();
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
  for (const c of cleanups.reverse()) await c();
}
process.exit(0);

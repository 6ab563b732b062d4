/**
 * `npm run bench [-- --subscribers N --rows 1,2,cli]`: sends one digest of 20 posts to N
 * confirmed subscribers through the real pipeline (worker processes, Redis, ledger, pooled
 * SMTP) into Postfix's smtp-sink, then has Postfix's C smtp-source send as many messages of the
 * same size into the same sink, and prints both rates and their ratio. One row per entry of
 * `--rows`: a number is that many worker processes (`npm run worker`); `cli` is the end-to-end
 * `npm run digest -- send --wait` from the command to its exit (TypeScript loading, MJML, build,
 * fan-out and sending in that one process). Writes bench/results.json.
 *
 * Settings are the service's defaults unless `--connections`, `--concurrency`, `--batch` or
 * `--jobs` say otherwise. `--cpu-prof <dir>` profiles each worker process and prints its top
 * entries. Every row starts its own redis-server on a free port (the machine's is left alone).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TZDate } from '@date-fns/tz';
import { formatISO, startOfISOWeek } from 'date-fns';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { prepareDigest } from '../src/mail/digest-copy.js';
import { startLocalRedis } from '../src/redis.js';
import { createServices, type Services } from '../src/services.js';
import { freePort } from '../test-support/free-port.js';
import { runSmtpSource, startSink } from './postfix.js';
import { formatTop } from './profile-top.js';
import { treeCpuSeconds, treeRssMb } from './proc.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '20000' },
    rows: { type: 'string', default: '1,2,cli' },
    connections: { type: 'string' },
    concurrency: { type: 'string' },
    batch: { type: 'string' },
    jobs: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'reference-messages': { type: 'string', default: '100000' },
    out: { type: 'string', default: path.join(root, 'bench/results.json') },
  },
});
const S = Number(args.subscribers);
/**
 * The Monday of this week (UTC): the default weekly edition's date, recent enough that the CLI
 * row's `send --date` is never refused as too far in the past.
 */
const DATE = formatISO(startOfISOWeek(new TZDate(Date.now(), 'UTC')), { representation: 'date' });
/** smtp-source's sample: its rate is steady well before a million messages (issue 13's 1M row). */
const REFERENCE_MESSAGES = Math.min(S, Number(args['reference-messages']));
/** The edition DATE names (the default weekly frequency). */
const EDITION = `weekly/${DATE}`;
const PROGRESS_MS = 5_000;

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function lorem(words: number, seed: number): string {
  const vocab =
    'digest weekly post feed reader email server queue redis worker build render window subscriber ledger claim send batch pool connection template summary archive'.split(
      ' ',
    );
  return Array.from({ length: words }, (_, i) => vocab[(seed * 7 + i * 13) % vocab.length]).join(
    ' ',
  );
}

async function seed(services: Services): Promise<void> {
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
}

/** Calls per command from INFO commandstats, minus `since`; the busiest first. */
function commandCounts(info: string, since: Record<string, number> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g))
    out[m[1]!] = Number(m[2]) - (since[m[1]!] ?? 0);
  return Object.fromEntries(
    Object.entries(out)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (c) => r(c)));
}

/**
 * Waits for the digest to be final, printing progress every few seconds: sent so far, the rate
 * since the last line, and each sending process's RSS (current / peak).
 */
async function follow(
  services: Services,
  fanoutAt: () => Promise<string | null>,
  started: number,
  pids: () => number[],
) {
  const peaks = new Map<number, number>();
  let fanoutMs: number | undefined;
  let last = { at: started, sent: 0 };
  let nextPrint = started + PROGRESS_MS;
  for (;;) {
    for (const pid of pids()) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, treeRssMb(pid).peak));
    const summary = await services.digests.getSummary(EDITION);
    const now = Date.now();
    if (fanoutMs === undefined) {
      const at = await fanoutAt();
      if (at) fanoutMs = new Date(at).getTime() - started;
    }
    if (summary && ['sent', 'sent_with_failures', 'failed'].includes(summary.status))
      return { summary, fanoutMs, peaks: pids().map((p) => peaks.get(p) ?? 0) };
    if (now >= nextPrint) {
      const sent = summary?.counters.sent ?? 0;
      const rss = pids()
        .map((p) => {
          const r = treeRssMb(p);
          return `${r.now}/${r.peak}`;
        })
        .join(', ');
      console.log(
        `  ${((now - started) / 1000).toFixed(0).padStart(4)} s: sent ${sent}/${S}, ` +
          `${Math.round(((sent - last.sent) * 1000) / (now - last.at))} msg/s now, RSS now/peak MB: ${rss}`,
      );
      last = { at: now, sent };
      nextPrint = now + PROGRESS_MS;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One row: a fresh Redis and sink, N subscribers, one digest sent by `row`, then smtp-source. */
async function runRow(row: string) {
  const cli = row === 'cli';
  const W = cli ? 1 : Number(row);
  if (!cli && !(W >= 1)) throw new Error(`--rows: "${row}" is neither a number nor "cli"`);
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const redisDir = mkdtempSync(path.join(tmpdir(), 'digest-bench-redis-'));
    cleanups.push(() => rmSync(redisDir, { recursive: true, force: true }));
    const redis = await startLocalRedis({
      dir: redisDir,
      port: await freePort(),
      appendonly: false,
    });
    cleanups.push(() => redis.stop());
    const sinkPort = await freePort();
    const sink = await startSink(sinkPort, children);
    cleanups.push(() => sink.stop());
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
      LOG_LEVEL: 'warn',
    };
    if (args.connections) env.SMTP_MAX_CONNECTIONS = args.connections;
    if (args.concurrency) env.SEND_CONCURRENCY = args.concurrency;
    if (args.batch) env.SEND_BATCH_SIZE = args.batch;
    if (args.jobs) env.SEND_JOBS = args.jobs;
    const config = loadConfig(env);
    const ctx = await createContext(config, { checkRedis: false });
    const services = createServices(ctx);
    cleanups.push(
      () => ctx.close(),
      () => services.close(),
    );
    const connections = config.smtp.maxConnections;
    console.log(
      `\nrow ${cli ? 'cli send --wait' : `${W} worker process(es)`}: ${S} subscribers, ` +
        `${connections} SMTP connections per process, ${config.send.concurrency} in flight, ` +
        `batches of ${config.send.batchSize}; sink: ${sink.kind}`,
    );
    let t = Date.now();
    await seed(services);
    const seedSeconds = (Date.now() - t) / 1000;

    const senders: ChildProcess[] = [];
    const childEnv = { ...process.env, ...env };
    const profDir = args['cpu-prof'] ? path.resolve(args['cpu-prof'], `row-${row}`) : undefined;
    if (profDir) mkdirSync(profDir, { recursive: true });
    if (!cli) {
      for (let i = 0; i < W; i++) {
        const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
        const flags = ['--max-semi-space-size=4', ...prof, '--import', 'tsx'];
        const child = spawn(process.execPath, [...flags, path.join(root, 'workers/main.ts')], {
          cwd: root,
          env: childEnv,
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        children.push(child);
        senders.push(child);
      }
      // Wait until every worker process is ready to take jobs.
      while ((await services.queues.send.getWorkersCount()) < W)
        await new Promise((r) => setTimeout(r, 100));
    }

    const redisPid = Number(/process_id:(\d+)/.exec(await ctx.redis.info('server'))?.[1]);
    const cpu = () => ({
      senders: senders.reduce((n, c) => n + treeCpuSeconds(c.pid!), 0),
      redis: treeCpuSeconds(redisPid),
      sink: sink.pid ? treeCpuSeconds(sink.pid) : 0,
    });
    const cpuStart = cpu();
    const commandsStart = commandCounts(await ctx.redis.info('commandstats'));
    t = Date.now();
    let cliExit: Promise<number | null> | undefined;
    if (cli) {
      // The command as an admin types it; with no worker running it sends from its own process.
      const child = spawn('npm', ['run', '-s', 'digest', '--', 'send', '--date', DATE, '--wait'], {
        cwd: root,
        env: childEnv,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      senders.push(child);
      cliExit = exited(child);
    } else {
      await services.digestService.trigger(DATE);
    }
    const { summary, fanoutMs, peaks } = await follow(
      services,
      () => ctx.redis.hget(ctx.keys.digest(EDITION), 'fanoutAt'),
      t,
      () => senders.map((c) => c.pid!),
    );
    // The CLI's tree is gone once it exits: its CPU is read just before (the last poll).
    const cpuEnd = cpu();
    const cliCode = cliExit ? await cliExit : undefined;
    const totalMs = Date.now() - t;
    const buildMs = summary.builtAt ? new Date(summary.builtAt).getTime() - t : undefined;
    const rate = S / (totalMs / 1000);
    for (const c of senders) c.kill('SIGTERM');
    await Promise.all(senders.map(exited));
    // No duplicate and nobody missed: one final ledger entry per subscriber, and the sink's own
    // count of messages received (Postfix's smtp-sink only) equal to the subscribers.
    await new Promise((r) => setTimeout(r, 500));
    const sinkReceived = sink.received?.();
    const ledgerEntries = await ctx.redis.hlen(ctx.keys.ledger(EDITION));
    const info = await ctx.redis.info('memory');
    const commands = commandCounts(await ctx.redis.info('commandstats'), commandsStart);
    const redisPeakMb = Math.round(Number(/used_memory_peak:(\d+)/.exec(info)?.[1] ?? 0) / 2 ** 20);

    // The same size of message, for the reference client.
    const digest = (await services.digests.get(EDITION))!;
    const sample = prepareDigest(digest, config).build({
      email: 'reader1@bench.example.org',
      unsubscribeUrl: `https://digest.example.com/unsubscribe?token=${services.tokens.sign('unsubscribe', 1)}`,
      preferencesUrl: `https://digest.example.com/preferences?token=${services.tokens.sign('preferences', 1)}`,
    });
    const sinkCpuBefore = sink.pid ? treeCpuSeconds(sink.pid) : 0;
    const reference = sink.postfix
      ? await runSmtpSource(sinkPort, {
          messages: REFERENCE_MESSAGES,
          bytes: sample.length,
          sessions: connections * W,
        })
      : undefined;

    const perMessageMs = (seconds: number, messages = S) =>
      Number(((seconds * 1000) / messages).toFixed(3));
    const cpuMs = {
      senders: perMessageMs(cpuEnd.senders - cpuStart.senders),
      redis: perMessageMs(cpuEnd.redis - cpuStart.redis),
      sink: perMessageMs(cpuEnd.sink - cpuStart.sink),
      sinkForReference: perMessageMs(
        (sink.pid ? treeCpuSeconds(sink.pid) : 0) - sinkCpuBefore,
        REFERENCE_MESSAGES,
      ),
    };
    const result = {
      row: cli ? 'cli send --wait' : `${W} worker(s)`,
      subscribers: S,
      workers: W,
      smtpConnectionsPerWorker: connections,
      sendConcurrency: config.send.concurrency,
      batchSize: config.send.batchSize,
      messageBytes: sample.length,
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
      cliExitCode: cliCode,
      referenceMessagesPerSecond: reference ? Math.round(reference.rate) : undefined,
      referenceSessions: connections * W,
      ratio: reference ? Number((rate / reference.rate).toFixed(3)) : undefined,
      workerPeakRssMb: peaks,
      cpuMsPerMessage: cpuMs,
      redisCommandsPerMessage: Object.fromEntries(
        Object.entries(commands).map(([k, n]) => [k, Number((n / S).toFixed(2))]),
      ),
      redisPeakUsedMemoryMb: redisPeakMb,
    };
    console.log(
      `  build ${result.buildSeconds?.toFixed(2)} s, fan-out done at ${result.fanoutSeconds?.toFixed(2)} s; ` +
        `${result.sent} sent, ${result.failed} failed in ${result.totalSeconds.toFixed(1)} s = ` +
        `${result.messagesPerSecond} messages/s (${result.messageBytes} bytes each)` +
        (cli ? `; exit code ${cliCode}` : ''),
    );
    console.log(
      `  ledger entries: ${ledgerEntries}; received by the sink: ${sinkReceived ?? 'not counted'}; ` +
        `peak RSS (MB): ${peaks.join(', ')}; Redis peak used_memory: ${redisPeakMb} MB`,
    );
    console.log(
      `  CPU ms per message: sending process(es) ${cpuMs.senders}, Redis ${cpuMs.redis}, sink ${cpuMs.sink} (sink for smtp-source: ${cpuMs.sinkForReference})`,
    );
    console.log(
      `  Redis commands per message: ${Object.entries(result.redisCommandsPerMessage)
        .slice(0, 8)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    console.log(
      reference
        ? `  smtp-source: ${result.referenceMessagesPerSecond} messages/s (${REFERENCE_MESSAGES} messages in ${reference.seconds.toFixed(1)} s, ${connections * W} sessions); ratio ${result.ratio}`
        : '  smtp-source not available: no reference ratio was measured',
    );
    if (profDir) {
      for (const f of readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile')))
        console.log(formatTop(path.join(profDir, f), 10));
    }
    return result;
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

const rows = [];
for (const row of args.rows.split(',')) rows.push(await runRow(row.trim()));
console.log(`\n| row | subscribers | messages/s | smtp-source | ratio | peak RSS |`);
for (const r of rows)
  console.log(
    `| ${r.row} | ${r.subscribers} | ${r.messagesPerSecond} | ${r.referenceMessagesPerSecond ?? '-'} | ${r.ratio ?? '-'} | ${r.workerPeakRssMb.join(', ')} MB |`,
  );
writeFileSync(args.out, `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), args.out)}`);
process.exit(0);

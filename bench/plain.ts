/**
 * The plain single-edition row: one weekly digest of 20 posts to N confirmed subscribers, sent
 * by `row` (a number: that many worker processes; `cli`: `npm run digest -- send --wait` from
 * the command to its exit), then smtp-source's reference rate on the same sink.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { TZDate } from '@date-fns/tz';
import { formatISO, startOfISOWeek } from 'date-fns';
import { editionWindow } from '../src/digests/edition-window.js';
import { follow } from './follow.js';
import { formatTop } from './profile-top.js';
import { printRow, type RowResult } from './report.js';
import { measureReference, type BenchOptions } from './reference.js';
import {
  children,
  childEnv,
  commandCounts,
  cpuNow,
  exited,
  openRig,
  redisPeakMb,
  root,
  startWorkers,
  stopAll,
} from './rig.js';
import { seedPlain } from './seed.js';

/**
 * The Monday of this week (UTC): the plain row's weekly edition, recent enough that the CLI
 * row's `send --date` is never refused as too far in the past.
 */
export const PLAIN_DATE = formatISO(startOfISOWeek(new TZDate(Date.now(), 'UTC')), {
  representation: 'date',
});
const EDITION = `weekly/${PLAIN_DATE}`;

export async function runPlainRow(row: string, opts: BenchOptions): Promise<RowResult> {
  const cli = row === 'cli';
  const W = cli ? 1 : Number(row);
  if (!cli && !(W >= 1)) throw new Error(`--rows: "${row}" is neither a number nor "cli"`);
  const S = opts.subscribers;
  const rig = await openRig(opts);
  try {
    const { config, ctx, services } = rig;
    const connections = config.smtp.maxConnections;
    console.log(
      `\nrow ${cli ? 'cli send --wait' : `${W} worker process(es)`}: ${S} subscribers, ` +
        `${connections} SMTP connections per process, ${config.send.concurrency} in flight, ` +
        `batches of ${config.send.batchSize}; sink: ${rig.sink.kind}`,
    );
    let t = Date.now();
    const { sendAt } = editionWindow({ frequency: 'weekly', date: PLAIN_DATE }, config.digest);
    await seedPlain(services, S, sendAt);
    const seedSeconds = (Date.now() - t) / 1000;

    const profDir = opts.cpuProf ? path.resolve(opts.cpuProf, `row-${row}`) : undefined;
    const senders: ChildProcess[] = cli ? [] : await startWorkers(rig, W, profDir);
    const cpuStart = cpuNow(rig, senders);
    const commandsStart = commandCounts(await ctx.redis.info('commandstats'));
    t = Date.now();
    let cliExit: Promise<number | null> | undefined;
    if (cli) {
      // The command as an admin types it; with no worker running it sends from its own process.
      const args = ['run', '-s', 'digest', '--', 'send', '--date', PLAIN_DATE, '--wait'];
      const child = spawn('npm', args, {
        cwd: root,
        env: childEnv(rig),
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      senders.push(child);
      cliExit = exited(child);
    } else {
      await services.digestService.trigger(PLAIN_DATE);
    }
    const followed = await follow(rig, [EDITION], S, t, () => senders.map((c) => c.pid!));
    const summary = followed.summaries[0]!;
    // The CLI's tree is gone once it exits: its CPU is read just before (the last poll).
    const cpuEnd = cpuNow(rig, senders);
    const cliCode = cliExit ? await cliExit : undefined;
    const totalMs = Date.now() - t;
    const buildMs = summary.builtAt ? new Date(summary.builtAt).getTime() - t : undefined;
    const rate = S / (totalMs / 1000);
    await stopAll(senders);
    // No duplicate and nobody missed: one final ledger entry per subscriber, and the sink's own
    // count of messages received (Postfix's smtp-sink only) equal to the subscribers.
    await new Promise((r) => setTimeout(r, 500));
    const sinkReceived = rig.sink.received?.();
    const ledgerEntries = await ctx.redis.hlen(ctx.keys.ledger(EDITION));
    const commands = commandCounts(await ctx.redis.info('commandstats'), commandsStart);
    const reference = await measureReference(rig, EDITION, connections * W, opts, rate);
    const perMessageMs = (seconds: number) => Number(((seconds * 1000) / S).toFixed(3));
    const result: RowResult = {
      row: cli ? 'cli send --wait' : `${W} worker(s)`,
      subscribers: S,
      workers: W,
      smtpConnectionsPerWorker: connections,
      sendConcurrency: config.send.concurrency,
      batchSize: config.send.batchSize,
      sink: rig.sink.kind,
      seedSeconds,
      buildSeconds: buildMs === undefined ? undefined : buildMs / 1000,
      fanoutSeconds: followed.fanoutMs[0] === undefined ? undefined : followed.fanoutMs[0] / 1000,
      totalSeconds: totalMs / 1000,
      messagesPerSecond: Math.round(rate),
      sent: summary.counters.sent,
      failed: summary.counters.failed,
      ledgerEntries,
      sinkReceived,
      duplicates: sinkReceived === undefined ? undefined : sinkReceived - summary.counters.sent,
      cliExitCode: cliCode,
      ...reference,
      workerPeakRssMb: followed.peaks,
      cpuMsPerMessage: {
        senders: perMessageMs(cpuEnd.senders - cpuStart.senders),
        redis: perMessageMs(cpuEnd.redis - cpuStart.redis),
        sink: perMessageMs(cpuEnd.sink - cpuStart.sink),
        sinkForReference: reference.sinkCpuMsPerReferenceMessage,
      },
      redisCommandsPerMessage: Object.fromEntries(
        Object.entries(commands).map(([k, n]) => [k, Number((n / S).toFixed(2))]),
      ),
      redisPeakUsedMemoryMb: await redisPeakMb(rig),
    };
    printRow(result);
    if (profDir) {
      for (const f of readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile')))
        console.log(formatTop(path.join(profDir, f), 10));
    }
    return result;
  } finally {
    await rig.close();
  }
}

/**
 * The scale scenario (`--zones Z --frequencies list --topics T`): N confirmed subscribers over
 * Z real time zones, the listed frequencies and 0..2 of T topics; one edition of each
 * frequency on a date where all of them fire, every zone at once, sent by the worker
 * processes to the sink; then the plain single-edition row with the same N for the ratio of
 * the two rates. It prints each goal with PASS or FAIL; a failed correctness check (a message
 * missing or twice, a ledger entry short) makes the bench exit 1, a missed speed goal does not.
 */
import type { ChildProcess } from 'node:child_process';
import { editionWindow } from '../src/digests/edition-window.js';
import { editionId } from '../src/digests/edition.js';
import { follow, rssFlat } from './follow.js';
import { runPlainRow } from './plain.js';
import { commonEditionDate, parseFrequencies, ZONES } from './scale-editions.js';
import { measureReference, type BenchOptions } from './reference.js';
import { printGoals, printReference, type Goal } from './report.js';
import { cpuNow, openRig, redisPeakMb, startWorkers, stopAll, type Rig } from './rig.js';
import { expectedEditions, scalePosts, seedScale, topicNames, type ScaleLayout } from './seed.js';

const GOALS = { fanoutSeconds: 60, rssMb: 300, redisMb: 1536, rateRatio: 0.9 };

export interface ScaleOptions extends BenchOptions {
  zones: number;
  frequencies: string;
  topics: number;
  workers: number;
}

/** Messages of each state in an edition's ledger, read in pages (HSCAN). */
async function ledgerStates(rig: Rig, id: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let cursor = '0';
  do {
    const [next, flat] = await rig.ctx.redis.hscan(rig.ctx.keys.ledger(id), cursor, 'COUNT', 5000);
    for (let i = 1; i < flat.length; i += 2) {
      const state = flat[i]!.slice(0, 1);
      counts[state] = (counts[state] ?? 0) + 1;
    }
    cursor = next;
  } while (cursor !== '0');
  return counts;
}

export async function runScale(opts: ScaleOptions) {
  const frequencies = parseFrequencies(opts.frequencies);
  if (!(opts.zones >= 1 && opts.zones <= ZONES.length))
    throw new Error(`--zones: 1 to ${ZONES.length}`);
  const layout: ScaleLayout = {
    subscribers: opts.subscribers,
    zones: ZONES.slice(0, opts.zones),
    frequencies,
    topics: topicNames(opts.topics),
  };
  const rig = await openRig(opts, {
    DIGEST_FREQUENCIES: frequencies.join(','),
    DIGEST_DEFAULT_FREQUENCY: frequencies.includes('weekly') ? 'weekly' : frequencies[0]!,
  });
  let result;
  try {
    result = await sendScale(rig, opts, layout);
  } finally {
    await rig.close();
  }
  const plain = await runPlainRow(String(opts.workers), opts);
  const rateRatio = Number((result.messagesPerSecond / plain.messagesPerSecond).toFixed(3));
  console.log(
    `\nscale ${result.messagesPerSecond} messages/s over ${result.editions.length} editions; ` +
      `plain ${plain.messagesPerSecond} messages/s; scale / plain ${rateRatio}`,
  );
  const ok = printGoals([
    ...result.goals,
    {
      name: `sending rate within ${Math.round((1 - GOALS.rateRatio) * 100)}% of the plain row`,
      pass: rateRatio >= GOALS.rateRatio,
      detail: `${result.messagesPerSecond} / ${plain.messagesPerSecond} = ${rateRatio}`,
      correctness: false,
    },
  ]);
  return { scale: { ...result, rateRatio }, plain, ok };
}

/** Seeds, triggers every edition with every zone at once, follows them, counts and checks. */
async function sendScale(rig: Rig, opts: ScaleOptions, layout: ScaleLayout) {
  const { config, services } = rig;
  const date = commonEditionDate(config.digest, layout.frequencies);
  const ids = layout.frequencies.map((frequency) => editionId({ frequency, date }));
  const { sendAt } = editionWindow({ frequency: layout.frequencies[0]!, date }, config.digest);
  const posts = scalePosts(sendAt, layout.topics);
  const expected = expectedEditions(layout, posts, config.digest.maxPosts);
  const total = [...expected.values()].reduce((n, e) => n + e.messages, 0);
  console.log(
    `\nscale: ${layout.subscribers} subscribers over ${layout.zones.length} zones, ` +
      `${layout.frequencies.join(', ')}, ${layout.topics.length} topics; editions ${ids.join(', ')}; ` +
      `${opts.workers} worker process(es); sink: ${rig.sink.kind}`,
  );
  let t = Date.now();
  await seedScale(services, layout, posts);
  const seedSeconds = (Date.now() - t) / 1000;
  console.log(`  seeded in ${seedSeconds.toFixed(1)} s; ${total} messages due`);
  const senders: ChildProcess[] = await startWorkers(rig, opts.workers);
  const cpuStart = cpuNow(rig, senders);
  t = Date.now();
  for (const frequency of layout.frequencies)
    await services.digestService.trigger(date, { frequency, now: true });
  const followed = await follow(rig, ids, total, t, () => senders.map((c) => c.pid!));
  const cpuEnd = cpuNow(rig, senders);
  const totalMs = Date.now() - t;
  await stopAll(senders);
  await new Promise((r) => setTimeout(r, 500));
  const sinkReceived = rig.sink.received?.();
  const editions = [];
  for (const [i, s] of followed.summaries.entries()) {
    const e = expected.get(s.frequency)!;
    editions.push({
      id: s.id,
      renders: s.renders,
      distinctSets: e.distinctSets,
      expectedMessages: e.messages,
      expectedRolled: e.rolled,
      sent: s.counters.sent,
      failed: s.counters.failed,
      ledger: await ledgerStates(rig, s.id),
      fanoutSeconds: followed.fanoutMs[i] === undefined ? undefined : followed.fanoutMs[i] / 1000,
    });
  }
  const sent = editions.reduce((n, e) => n + e.sent, 0);
  const rate = Math.round(sent / (totalMs / 1000));
  const connections = config.smtp.maxConnections * opts.workers;
  const reference = await measureReference(rig, ids[0]!, connections, opts, rate);
  const peak = Math.max(0, ...followed.peaks);
  const flat = rssFlat(followed.rssSamples);
  const redisMb = await redisPeakMb(rig);
  const fanouts = editions.map((e) => e.fanoutSeconds);
  const fanoutTotal = fanouts.every((f) => f !== undefined) ? Math.max(...fanouts) : undefined;
  const perMessageMs = (s: number) => Number(((s * 1000) / Math.max(1, sent)).toFixed(3));

  for (const e of editions)
    console.log(
      `  ${e.id}: fan-out done at ${e.fanoutSeconds?.toFixed(2)} s; renders ${e.renders} ` +
        `(distinct post sets counted from the seed: ${e.distinctSets}); sent ${e.sent} of ` +
        `${e.expectedMessages} due (${e.expectedRolled} with no post in their topics), failed ${e.failed}; ` +
        `ledger ${Object.entries(e.ledger)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`,
    );
  console.log(
    `  ${sent} sent in ${(totalMs / 1000).toFixed(1)} s = ${rate} messages/s over all editions ` +
      `(${reference.messageBytes} bytes each, main variant); received by the sink: ${sinkReceived ?? 'not counted'}`,
  );
  console.log(
    `  worker peak RSS (MB): ${followed.peaks.join(', ')}; RSS every 5 s (MB): ` +
      `${followed.rssSamples.map((s) => s.mb).join(' ')}; Redis peak used_memory: ${redisMb} MB`,
  );
  console.log(
    `  CPU ms per message: worker(s) ${perMessageMs(cpuEnd.senders - cpuStart.senders)}, ` +
      `Redis ${perMessageMs(cpuEnd.redis - cpuStart.redis)}, sink ${perMessageMs(cpuEnd.sink - cpuStart.sink)}`,
  );
  printReference(reference);

  const goals: Goal[] = [
    {
      name: `fan-out of every group within ${GOALS.fanoutSeconds} s`,
      pass: fanoutTotal === undefined ? false : fanoutTotal <= GOALS.fanoutSeconds,
      detail: `last edition's fan-out done at ${fanoutTotal?.toFixed(1) ?? '?'} s (${fanouts.map((f) => f?.toFixed(1)).join(', ')})`,
      correctness: false,
    },
    {
      name: 'MJML renders at most the distinct post sets',
      pass: editions.every((e) => e.renders <= e.distinctSets),
      detail: editions.map((e) => `${e.id} ${e.renders}/${e.distinctSets}`).join(', '),
      correctness: true,
    },
    {
      name: `worker RSS at most ${GOALS.rssMb} MB`,
      pass: peak <= GOALS.rssMb,
      detail: `peak ${peak} MB`,
      correctness: false,
    },
    {
      name: 'worker RSS flat',
      pass: flat,
      detail:
        flat === undefined
          ? 'too few samples (a run under 30 s)'
          : 'last third of the samples vs the middle third',
      correctness: false,
    },
    {
      name: `Redis at most ${(GOALS.redisMb / 1024).toFixed(1)} GB`,
      pass: redisMb <= GOALS.redisMb,
      detail: `peak used_memory ${redisMb} MB`,
      correctness: false,
    },
    {
      name: 'one message per (subscriber, edition due) at the sink',
      pass: sinkReceived === undefined ? undefined : sinkReceived === total,
      detail: `sink received ${sinkReceived ?? 'not counted'}, due ${total}`,
      correctness: true,
    },
    {
      name: 'one ledger entry each, sent',
      pass: editions.every(
        (e) =>
          e.sent === e.expectedMessages &&
          e.ledger.s === e.expectedMessages &&
          (e.ledger.s ?? 0) + (e.ledger.o ?? 0) === e.expectedMessages + e.expectedRolled,
      ),
      detail: editions
        .map((e) => `${e.id} ${e.ledger.s ?? 0} sent of ${e.expectedMessages}`)
        .join(', '),
      correctness: true,
    },
  ];
  return {
    date,
    subscribers: layout.subscribers,
    zones: layout.zones.length,
    frequencies: layout.frequencies,
    topics: layout.topics.length,
    workers: opts.workers,
    seedSeconds,
    totalSeconds: totalMs / 1000,
    messagesPerSecond: rate,
    sinkReceived,
    due: total,
    editions,
    fanoutSeconds: fanoutTotal,
    workerPeakRssMb: followed.peaks,
    rssSamples: followed.rssSamples,
    rssFlat: flat,
    redisPeakUsedMemoryMb: redisMb,
    ...reference,
    goals,
  };
}

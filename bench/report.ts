/** What the bench prints: each row's lines, the closing table, the scale scenario's goals. */
import type { Reference } from './reference.js';

export interface RowResult extends Omit<Reference, 'sinkCpuMsPerReferenceMessage'> {
  row: string;
  subscribers: number;
  workers: number;
  smtpConnectionsPerWorker: number;
  sendConcurrency: number;
  batchSize: number;
  sink: string;
  seedSeconds: number;
  buildSeconds?: number;
  fanoutSeconds?: number;
  totalSeconds: number;
  messagesPerSecond: number;
  sent: number;
  failed: number;
  ledgerEntries: number;
  sinkReceived?: number;
  duplicates?: number;
  cliExitCode?: number | null;
  workerPeakRssMb: number[];
  cpuMsPerMessage: { senders: number; redis: number; sink: number; sinkForReference: number };
  redisCommandsPerMessage: Record<string, number>;
  redisPeakUsedMemoryMb: number;
}

/** A plain row's lines, printed once it is done. */
export function printRow(r: RowResult): void {
  const cli = r.cliExitCode !== undefined;
  console.log(
    `  build ${r.buildSeconds?.toFixed(2)} s, fan-out done at ${r.fanoutSeconds?.toFixed(2)} s; ` +
      `${r.sent} sent, ${r.failed} failed in ${r.totalSeconds.toFixed(1)} s = ` +
      `${r.messagesPerSecond} messages/s (${r.messageBytes} bytes each)` +
      (cli ? `; exit code ${r.cliExitCode}` : ''),
  );
  console.log(
    `  ledger entries: ${r.ledgerEntries}; received by the sink: ${r.sinkReceived ?? 'not counted'}; ` +
      `peak RSS (MB): ${r.workerPeakRssMb.join(', ')}; Redis peak used_memory: ${r.redisPeakUsedMemoryMb} MB`,
  );
  const c = r.cpuMsPerMessage;
  console.log(
    `  CPU ms per message: sending process(es) ${c.senders}, Redis ${c.redis}, sink ${c.sink} (sink for smtp-source: ${c.sinkForReference})`,
  );
  console.log(
    `  Redis commands per message: ${Object.entries(r.redisCommandsPerMessage)
      .slice(0, 8)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  printReference(r);
}

export function printReference(r: Omit<Reference, 'sinkCpuMsPerReferenceMessage'>): void {
  console.log(
    r.referenceMessagesPerSecond !== undefined
      ? `  smtp-source: ${r.referenceMessagesPerSecond} messages/s (${r.referenceMessages} messages in ${r.referenceSeconds?.toFixed(1)} s, ${r.referenceSessions} sessions); ratio ${r.ratio}`
      : '  smtp-source not available: no reference ratio was measured',
  );
}

/** The table after the last row. */
export function printTable(rows: readonly RowResult[]): void {
  console.log(`\n| row | subscribers | messages/s | smtp-source | ratio | peak RSS |`);
  for (const r of rows)
    console.log(
      `| ${r.row} | ${r.subscribers} | ${r.messagesPerSecond} | ${r.referenceMessagesPerSecond ?? '-'} | ${r.ratio ?? '-'} | ${r.workerPeakRssMb.join(', ')} MB |`,
    );
}

/** One goal of the scale scenario: a correctness check fails the run, a speed goal does not. */
export interface Goal {
  name: string;
  /** undefined: could not be measured here (no Postfix sink, too short a run). */
  pass: boolean | undefined;
  detail: string;
  correctness: boolean;
}

/** Prints PASS / FAIL / n/a per goal; true when every correctness check passed. */
export function printGoals(goals: readonly Goal[]): boolean {
  console.log('\ngoals:');
  for (const g of goals) {
    const word = g.pass === undefined ? 'n/a ' : g.pass ? 'PASS' : 'FAIL';
    const kind = g.correctness ? 'check' : 'goal';
    console.log(`  ${word}  ${g.name} (${kind}): ${g.detail}`);
  }
  return goals.every((g) => !g.correctness || g.pass !== false);
}

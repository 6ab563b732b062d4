/**
 * `npm run bench [-- --subscribers N --rows 1,2,cli]`: sends one digest of 20 posts to N
 * confirmed subscribers through the real pipeline (worker processes, Redis, ledger, pooled
 * SMTP) into Postfix's smtp-sink, then has Postfix's C smtp-source send as many messages of the
 * same size into the same sink, and prints both rates and their ratio. One row per entry of
 * `--rows`: a number is that many worker processes (`npm run worker`); `cli` is the end-to-end
 * `npm run digest -- send --wait` from the command to its exit (TypeScript loading, MJML, build,
 * fan-out and sending in that one process) (bench/plain.ts).
 *
 * `--zones Z --frequencies list --topics T [--workers W]` runs the scale scenario instead
 * (bench/scale.ts): many zones, frequencies and topics at once, then the plain row with the
 * same N, with PASS/FAIL per goal; exit code 1 when a correctness check fails.
 *
 * Settings are the service's defaults unless `--connections`, `--concurrency`, `--batch` or
 * `--jobs` say otherwise. `--cpu-prof <dir>` profiles each worker process of a plain row and
 * prints its top entries. Every row starts its own redis-server on a free port (the machine's
 * is left alone). Writes bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runPlainRow } from './plain.js';
import { printTable } from './report.js';
import type { BenchOptions } from './reference.js';
import { root } from './rig.js';
import { runScale } from './scale.js';

const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '20000' },
    rows: { type: 'string', default: '1,2,cli' },
    zones: { type: 'string' },
    frequencies: { type: 'string' },
    topics: { type: 'string' },
    workers: { type: 'string', default: '1' },
    connections: { type: 'string' },
    concurrency: { type: 'string' },
    batch: { type: 'string' },
    jobs: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'reference-messages': { type: 'string', default: '100000' },
    out: { type: 'string', default: path.join(root, 'bench/results.json') },
  },
});

const opts: BenchOptions = {
  subscribers: Number(args.subscribers),
  referenceMessages: Number(args['reference-messages']),
  cpuProf: args['cpu-prof'],
  connections: args.connections,
  concurrency: args.concurrency,
  batch: args.batch,
  jobs: args.jobs,
};
const write = (results: object) => {
  writeFileSync(
    args.out,
    `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`,
  );
  console.log(`wrote ${path.relative(process.cwd(), args.out)}`);
};

if (args.zones !== undefined || args.frequencies !== undefined || args.topics !== undefined) {
  const { scale, plain, ok } = await runScale({
    ...opts,
    zones: Number(args.zones ?? 1),
    frequencies: args.frequencies ?? 'weekly',
    topics: Number(args.topics ?? 0),
    workers: Number(args.workers),
  });
  write({ scale, rows: [plain] });
  process.exit(ok ? 0 : 1);
}

const rows = [];
for (const row of args.rows.split(',')) rows.push(await runPlainRow(row.trim(), opts));
printTable(rows);
write({ rows });
process.exit(0);

/**
 * The top entries by self time of a V8 CPU profile (`node --cpu-prof`), as the bench's
 * `--cpu-prof` prints them for each worker.
 *
 *   npx tsx bench/profile-top.ts <file.cpuprofile> [--top 5]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  /** Share of the busy (non-idle) time, 0..1. */
  share: number;
}

/** Self time per function (summed over call sites), busiest first; idle time left out. */
export function topEntries(file: string, top = 5): { busyShare: number; entries: ProfileEntry[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  let idle = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') {
      idle += dt;
      return;
    }
    const where = f.url
      ? `${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|workers)\//, '$1/')}:${f.lineNumber + 1}`
      : '';
    const key = `${f.functionName}@${where}`;
    const e = self.get(key) ?? { name: f.functionName || '(anonymous)', where, us: 0 };
    e.us += dt;
    self.set(key, e);
  });
  const busy = total - idle;
  const entries = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, share: e.us / busy }));
  return { busyShare: total ? busy / total : 0, entries };
}

export function formatTop(file: string, top = 5): string {
  const { busyShare, entries } = topEntries(file, top);
  return [
    `${path.basename(file)}: busy ${(busyShare * 100).toFixed(0)}% of the time; self time of the busy part:`,
    ...entries.map(
      (e, i) => `  ${i + 1}. ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.name}  ${e.where}`,
    ),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [--top N]');
  const i = process.argv.indexOf('--top');
  console.log(formatTop(file, i > 0 ? Number(process.argv[i + 1]) : 5));
}

/** Following a send while it runs: progress lines, fan-out times, RSS peaks and samples. */
import type { DigestSummary } from '../src/digests/digest-store.js';
import type { Rig } from './rig.js';
import { treeRssMb } from './proc.js';

const PROGRESS_MS = 5_000;
const FINAL = ['sent', 'sent_with_failures', 'failed'];

export interface Followed {
  /** Each edition's summary once final, in the order asked. */
  summaries: DigestSummary[];
  /** Each edition's fan-out done (its `fanoutAt`), ms after `started`. */
  fanoutMs: (number | undefined)[];
  /** Each sending process's peak RSS (MB), in the order of `pids()`. */
  peaks: number[];
  /** The largest sending process's RSS (MB) every few seconds: `at` is s after `started`. */
  rssSamples: { at: number; mb: number }[];
}

/**
 * Waits until every edition of `ids` is final, printing every few seconds the messages sent
 * so far (of `expected`), the rate since the last line, and each sending process's RSS
 * (current / peak).
 */
export async function follow(
  rig: Rig,
  ids: readonly string[],
  expected: number,
  started: number,
  pids: () => number[],
): Promise<Followed> {
  const { services, ctx } = rig;
  const peaks = new Map<number, number>();
  const fanoutMs: (number | undefined)[] = ids.map(() => undefined);
  const rssSamples: { at: number; mb: number }[] = [];
  let last = { at: started, sent: 0 };
  let nextPrint = started + PROGRESS_MS;
  for (;;) {
    for (const pid of pids()) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, treeRssMb(pid).peak));
    const summaries = await Promise.all(ids.map((id) => services.digests.getSummary(id)));
    const now = Date.now();
    for (const [i, id] of ids.entries()) {
      if (fanoutMs[i] !== undefined) continue;
      const at = await ctx.redis.hget(ctx.keys.digest(id), 'fanoutAt');
      if (at) fanoutMs[i] = new Date(at).getTime() - started;
    }
    if (summaries.every((s) => s && FINAL.includes(s.status)))
      return {
        summaries: summaries as DigestSummary[],
        fanoutMs,
        peaks: pids().map((p) => peaks.get(p) ?? 0),
        rssSamples,
      };
    if (now >= nextPrint) {
      const sent = summaries.reduce((n, s) => n + (s?.counters.sent ?? 0), 0);
      const rss = pids().map((p) => treeRssMb(p));
      rssSamples.push({
        at: Math.round((now - started) / 1000),
        mb: Math.max(0, ...rss.map((r) => r.now)),
      });
      console.log(
        `  ${((now - started) / 1000).toFixed(0).padStart(4)} s: sent ${sent}/${expected}, ` +
          `${Math.round(((sent - last.sent) * 1000) / (now - last.at))} msg/s now, RSS now/peak MB: ` +
          rss.map((r) => `${r.now}/${r.peak}`).join(', '),
      );
      last = { at: now, sent };
      nextPrint = now + PROGRESS_MS;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Whether memory stayed flat: the peak of the last third of the samples is at most 10% (or
 * 20 MB, whichever is more) above the peak of the middle third. Too few samples: undefined.
 */
export function rssFlat(samples: readonly { mb: number }[]): boolean | undefined {
  if (samples.length < 6) return undefined;
  const third = Math.floor(samples.length / 3);
  const peak = (s: readonly { mb: number }[]) => Math.max(...s.map((x) => x.mb));
  const middle = peak(samples.slice(third, 2 * third));
  const end = peak(samples.slice(2 * third));
  return end <= Math.max(middle * 1.1, middle + 20);
}

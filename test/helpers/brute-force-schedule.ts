/**
 * An independent reading of a cron schedule, for tests: it walks real time minute by minute
 * and asks Intl.DateTimeFormat what a wall clock in the zone shows, with no @date-fns/tz and
 * no date arithmetic in the zone. It applies the README's rules (a wall time a DST change
 * skips fires at that time read with the offset before the change, on its own date only; a
 * repeated one fires once) and so says what the scheduler must answer.
 */

export interface Wall {
  date: string;
  h: number;
  m: number;
  /** Minutes since 1970-01-01T00:00 of the wall clock reading (a sortable key). */
  key: number;
}

/** What the cron matches, written in the test apart from the cron text. */
export interface CronSpec {
  times: [number, number][];
  days: (y: number, month: number, day: number, weekday: number) => boolean;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall clock in `tz` at `ms`, to the minute. */
export function wallClock(ms: number, tz: string): Wall {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(tz, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(ms)) p[part.type] = part.value;
  const [y, mo, d, h, m] = [p.year, p.month, p.day, p.hour, p.minute].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    date: `${p.year!.padStart(4, '0')}-${p.month}-${p.day}`,
    h,
    m,
    key: Date.UTC(y, mo - 1, d, h, m) / 60_000,
  };
}

function matches(spec: CronSpec, key: number): boolean {
  const t = new Date(key * 60_000);
  const [y, mo, d] = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
  return (
    spec.days(y, mo, d, t.getUTCDay()) &&
    spec.times.some(([h, m]) => h === t.getUTCHours() && m === t.getUTCMinutes())
  );
}

const dateOfKey = (key: number) => new Date(key * 60_000).toISOString().slice(0, 10);

/** Every firing in [fromMs, toMs), by walking each minute. */
export function bruteForceFirings(spec: CronSpec, tz: string, fromMs: number, toMs: number) {
  const at = new Set<number>();
  const start = Math.floor(fromMs / 60_000) * 60_000;
  let prev = wallClock(start - 60_000, tz);
  let highest = prev.key;
  for (let t = start; t < toMs; t += 60_000) {
    const w = wallClock(t, tz);
    // Skipped wall minutes: each fires where the old clock would have shown it.
    for (let s = prev.key + 1; s < w.key; s++) {
      if (!matches(spec, s)) continue;
      const when = t - 60_000 + (s - prev.key) * 60_000;
      if (wallClock(when, tz).date === dateOfKey(s) && when >= fromMs && when < toMs) at.add(when);
    }
    // A wall minute seen before (clocks went back) does not fire again.
    if (w.key > highest && matches(spec, w.key)) at.add(t);
    highest = Math.max(highest, w.key);
    prev = w;
  }
  return [...at].sort((a, b) => a - b);
}

/** The digest occurrences: the first firing of each local date. */
export function bruteForceOccurrences(spec: CronSpec, tz: string, fromMs: number, toMs: number) {
  const byDate = new Map<string, number>();
  for (const t of bruteForceFirings(spec, tz, fromMs, toMs)) {
    const date = wallClock(t, tz).date;
    if (!byDate.has(date)) byDate.set(date, t);
  }
  return [...byDate].map(([date, t]) => ({ date, at: new Date(t) }));
}

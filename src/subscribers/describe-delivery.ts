import { CronExpressionParser } from 'cron-parser';
import type { Frequency } from '../digests/frequency.js';

/** What of the digest config the words need (config.digest). */
export interface DeliveryConfig {
  tz: string;
  localTime: boolean;
  defaultFrequency: Frequency;
  frequencies: readonly Frequency[];
  crons: Readonly<Record<Frequency, string>>;
}

/** What of a subscriber the words need. */
export interface DeliveryChoice {
  frequency?: Frequency | undefined;
  tz?: string | undefined;
  topics?: readonly string[];
}

const WEEKDAYS = [
  'Sundays',
  'Mondays',
  'Tuesdays',
  'Wednesdays',
  'Thursdays',
  'Fridays',
  'Saturdays',
];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const NTH = ['', 'first', 'second', 'third', 'fourth', 'fifth'];

function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
}

function joinWords(words: string[], last = 'and'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${last} ${words.at(-1)}`;
}

/** Weekday numbers (0 = Sunday) in the order Monday … Sunday, runs of 3+ as "Mondays to Fridays". */
function weekdayWords(days: number[]): string {
  const order = [...new Set(days.map((d) => (d === 7 ? 0 : d)))].sort(
    (a, b) => ((a + 6) % 7) - ((b + 6) % 7),
  );
  const runs: number[][] = [];
  for (const d of order) {
    const run = runs.at(-1);
    if (run && (run.at(-1)! + 1) % 7 === d) run.push(d);
    else runs.push([d]);
  }
  const parts = runs.flatMap((r) =>
    r.length >= 3 ? [`${WEEKDAYS[r[0]!]} to ${WEEKDAYS[r.at(-1)!]}`] : r.map((d) => WEEKDAYS[d]!),
  );
  return joinWords(parts);
}

/** The days a 5-field cron fires on, in words ("Mondays", "on the 1st"), or '' for every day. */
function daysInWords(cron: string): string {
  const f = CronExpressionParser.parse(cron).fields;
  const parts: string[] = [];
  if (!f.dayOfMonth.isWildcard) {
    const doms = (f.dayOfMonth.values as unknown[]).filter((v) => typeof v === 'number');
    const words = doms.map((d) => ordinal(d));
    if (f.dayOfMonth.hasLastChar) words.push('last day');
    parts.push(`on the ${joinWords(words)} of the month`);
  }
  if (!f.dayOfWeek.isWildcard) {
    const values = f.dayOfWeek.values as unknown[];
    const plain = values.filter((v): v is number => typeof v === 'number');
    const last = values
      .filter((v): v is string => typeof v === 'string' && /^\dL$/.test(v))
      .map((v) => `the last ${WEEKDAYS[Number(v[0]) % 7]!.slice(0, -1)} of the month`);
    const nth = f.dayOfWeek.nthDay;
    const days = nth
      ? [
          `the ${NTH[nth] ?? `${nth}th`} ${joinWords(
            plain.map((d) => WEEKDAYS[d % 7]!.slice(0, -1)),
            'or',
          )} of the month`,
        ]
      : plain.length
        ? [weekdayWords(plain)]
        : [];
    parts.push(joinWords([...days, ...last]));
  }
  let out = joinWords(parts, 'or');
  if (!f.month.isWildcard) {
    out += `${out ? ' ' : 'every day '}in ${joinWords(f.month.values.map((m) => MONTHS[Number(m) - 1]!))}`;
  }
  return out;
}

/** The first wall time of a firing day ("a date has at most one send: the cron's first time"). */
function timeInWords(cron: string): string {
  const f = CronExpressionParser.parse(cron).fields;
  const h = Math.min(...f.hour.values.map(Number));
  const m = Math.min(...f.minute.values.map(Number));
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** The zone a subscriber's digest is read in: theirs, else DIGEST_TZ; always DIGEST_TZ without local time. */
export function deliveryZone(choice: DeliveryChoice, config: DeliveryConfig): string {
  return config.localTime && choice.tz ? choice.tz : config.tz;
}

/** The frequency a subscriber gets: theirs if the site still offers it, else the site's default. */
export function deliveryFrequency(choice: DeliveryChoice, config: DeliveryConfig): Frequency {
  return choice.frequency && config.frequencies.includes(choice.frequency)
    ? choice.frequency
    : config.defaultFrequency;
}

/**
 * What a subscriber receives, in words: "weekly, Mondays at 09:00 Asia/Tokyo; topics: Go, Redis".
 * Pure: from their choice and the digest config (the cron of their frequency, read in their zone).
 * No topics chosen: nothing is said about topics unless `allTopics` names that case
 * ("; all topics", for a site that has topics).
 */
export function describeDelivery(
  choice: DeliveryChoice,
  config: DeliveryConfig,
  opts: { allTopics?: string } = {},
): string {
  const frequency = deliveryFrequency(choice, config);
  const cron = config.crons[frequency];
  const days = daysInWords(cron);
  const when = `${days ? `${frequency}, ${days}` : frequency} at ${timeInWords(cron)} ${deliveryZone(choice, config)}`;
  const topics = choice.topics ?? [];
  if (topics.length) return `${when}; topics: ${topics.join(', ')}`;
  return opts.allTopics ? `${when}; ${opts.allTopics}` : when;
}

/**
 * describeDelivery memoised by choice, for the send path (one call per recipient; few distinct
 * choices). Bounded: a pathological list of distinct choices only costs the cron parses again.
 */
export function createDeliveryWords(config: DeliveryConfig) {
  const cache = new Map<string, string>();
  return (choice: DeliveryChoice): string => {
    const key = `${choice.frequency ?? ''}|${choice.tz ?? ''}|${(choice.topics ?? []).join(',')}`;
    let words = cache.get(key);
    if (words === undefined) {
      words = describeDelivery(choice, config);
      if (cache.size >= 10_000) cache.clear();
      cache.set(key, words);
    }
    return words;
  };
}

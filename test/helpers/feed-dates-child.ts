/**
 * Run in a child process with its own TZ (test/unit/feed-date.test.ts): parses the feed files
 * named on the command line and prints their items' dates, and the process's own UTC offset
 * in January so the test can see the zone really applied.
 */
import { readFileSync } from 'node:fs';
import { parseFeedDate } from '../../src/feeds/feed-date.js';
import { parseFeed } from '../../src/feeds/parse-feed.js';

const now = new Date('2025-03-10T00:00:00Z');
const [dates = '[]', ...files] = process.argv.slice(2);
const out = {
  offsetMinutes: new Date(2025, 0, 15).getTimezoneOffset(),
  dates: (JSON.parse(dates) as string[]).map((d) => parseFeedDate(d, now)?.toISOString() ?? null),
  feeds: files.map((f) =>
    parseFeed(readFileSync(f), { now }).items.map((i) => i.publishedAt?.toISOString() ?? null),
  ),
};
process.stdout.write(JSON.stringify(out));

import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import type { FeedState } from '../feeds/feed-store.js';
import { addFeed } from '../feeds/add-feed.js';
import type { IngestResult } from '../feeds/ingest.js';
import { plural, timeInWords } from '../format-time.js';
import { parseManualPost, type ManualPostInput } from '../feeds/manual-post.js';
import { dateNote, type Post } from '../feeds/post.js';
import type { Services } from '../services.js';
import { withServices, type OpenServices } from './open-services.js';

type Out = (line: string) => void;
type WithStores = (fn: (s: Services) => Promise<void>) => Promise<void>;

/** `feeds add|list|remove`, `ingest`, `posts add|list`. Output goes to `out` (stdout). */
export function registerFeedCommands(
  program: Command,
  open: OpenServices,
  out: Out = (line) => console.log(line),
): void {
  const withStores: WithStores = (fn) => withServices(open, fn);
  registerFeeds(program, withStores, out);
  registerIngest(program, withStores, out);
  registerPosts(program, withStores, out);
}

function registerFeeds(program: Command, withStores: WithStores, out: Out): void {
  const feeds = program.command('feeds').description('the feeds that posts come from');
  feeds
    .command('add <source>')
    .description(
      'add a feed: an http(s) URL or a file path (RSS, Atom or JSON Feed), or a web page that links to one',
    )
    .option('--no-check', 'add without fetching it first')
    .action((source: string, opts: { check: boolean }) =>
      withStores((s) => feedsAdd(s, source, opts.check, out)),
    );
  feeds
    .command('list')
    .description('every feed with its last fetch and last error')
    .action(() =>
      withStores(async (s) => {
        const list = await s.feeds.list();
        if (list.length === 0) out('No feeds. Add one with `feeds add <url|path>`.');
        for (const feed of list) out(describeFeed(feed, s.config.digest.tz));
      }),
    );
  feeds
    .command('remove <source>')
    .description('remove a feed (its posts stay)')
    .action((source: string) =>
      withStores(async (s) => {
        const removed = await s.feeds.remove(source);
        out(removed ? `Feed removed: ${source}` : `No such feed: ${source}`);
        if (!removed) process.exitCode = 1;
      }),
    );
}

/** `feeds add`: a page with several feeds lists them (exit 1) for the admin to choose. */
async function feedsAdd(s: Services, source: string, check: boolean, out: Out): Promise<void> {
  const res = await addFeed({ feeds: s.feeds, ingest: s.ingest }, source, { check });
  if (!res.added) {
    out(`${res.page} links to ${res.choices.length} feeds; add the one you want:`);
    for (const c of res.choices) {
      out(`  digest feeds add ${c.url}${c.title ? `   (${c.title})` : ''}`);
    }
    process.exitCode = 1;
    return;
  }
  const what = [
    res.title ? `"${res.title}"` : undefined,
    res.items !== undefined ? plural(res.items, 'item') : undefined,
  ].filter(Boolean);
  if (res.discoveredFrom) out(`Found a feed on ${res.discoveredFrom}.`);
  out(`Feed added: ${res.feed.url}${what.length ? ` (${what.join(', ')})` : ''}`);
}

function registerIngest(program: Command, withStores: WithStores, out: Out): void {
  program
    .command('ingest')
    .description('fetch every feed now, a few at a time; exit 1 if every feed failed')
    .option('--json', 'the results as JSON on stdout')
    .action((opts: { json?: boolean }) =>
      withStores(async (s) => {
        const results = await ingestWithProgress(s, opts.json ? undefined : out);
        if (opts.json) out(JSON.stringify(results, null, 2));
        else if (results.length === 0) out('No feeds. Add one with `feeds add <url|path>`.');
        if (results.length > 0 && results.every((r) => !r.ok)) process.exitCode = 1;
      }),
    );
}

function registerPosts(program: Command, withStores: WithStores, out: Out): void {
  const posts = program.command('posts').description('posts from feeds, or added by hand');
  posts
    .command('add')
    .description('add a post by hand, for a blog without a feed')
    .requiredOption('--title <title>', 'the title')
    .requiredOption('--url <url>', 'the http(s) URL of the post')
    .option('--date <date>', 'published date, e.g. 2025-03-01 (default: now)')
    .option('--summary <summary>', 'a short plain-text summary')
    .action((opts: ManualPostInput) =>
      withStores(async (s) => {
        const input = parseManualPost(opts);
        const post = await s.posts.addManual(input, new Date());
        out(`Post ${post.id}: ${post.title} <${post.url}> published ${post.publishedAt}`);
      }),
    );
  posts
    .command('list')
    .description('the newest posts')
    .option('--limit <n>', 'how many (1-1000)', '20')
    .action((opts: { limit: string }) =>
      withStores(async (s) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          throw new ValidationError(
            'POST_INVALID',
            '--limit must be a whole number from 1 to 1000',
          );
        }
        const { posts: list, total } = await s.posts.list({ limit });
        if (total === 0) out('No posts yet. Run `ingest`, or add one with `posts add`.');
        for (const p of list) out(describePost(p));
        if (total > list.length) out(`(${list.length} of ${total})`);
      }),
    );
}

/**
 * Runs the ingest with per-feed progress: a bar on stderr when it is a terminal (the results
 * follow on `out` at the end), else each feed's result on `out` as soon as it is done.
 */
async function ingestWithProgress(s: Services, out: Out | undefined): Promise<IngestResult[]> {
  const bar =
    out && process.stderr.isTTY
      ? new SingleBar(
          { format: 'fetching {bar} {value}/{total} feeds | {feed}', stream: process.stderr },
          Presets.shades_classic,
        )
      : undefined;
  let started = false;
  const results = await s.ingest.ingestAll({
    onProgress: ({ total, done, result }) => {
      if (!bar) return out?.(describeResult(result));
      if (!started) bar.start(total, 0, { feed: '' });
      started = true;
      bar.update(done, { feed: result.feed.slice(-50) });
    },
  });
  if (bar) {
    if (started) bar.stop();
    for (const r of results) out?.(describeResult(r));
  }
  return results;
}

function describeFeed(f: FeedState, tz: string): string {
  const at = (iso: string | undefined) => (iso ? timeInWords(iso, tz) : 'never');
  const lines = [f.url, `  added ${at(f.addedAt)}`];
  lines.push(`  last fetch ${at(f.lastFetchAt)}${f.lastOkAt ? `, last ok ${at(f.lastOkAt)}` : ''}`);
  if (f.lastResult) {
    lines.push(
      `  last result: ${f.lastResult.new} new, ${f.lastResult.updated} updated, ${f.lastResult.unchanged} unchanged`,
    );
  }
  if (f.lastError) lines.push(`  last error at ${at(f.lastErrorAt)}: ${f.lastError}`);
  return lines.join('\n');
}

function describeResult(r: IngestResult): string {
  if (!r.ok) return `${r.feed}: error ${r.error}`;
  if (r.notModified) return `${r.feed}: not modified`;
  return `${r.feed}: ${r.new} new, ${r.updated} updated, ${r.unchanged} unchanged`;
}

function describePost(p: Post): string {
  const used = p.digest ? ` [digest ${p.digest}]` : '';
  return `${p.publishedAt.slice(0, 10)}  ${p.title}  <${p.url}>${dateNote(p)}${used}`;
}

import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { nextDigestDate } from '../digests/digest-window.js';
import { parseEdition } from '../digests/edition.js';
import { frequencySchedule } from '../digests/edition-window.js';
import { isFrequency, type Frequency } from '../digests/frequency.js';
import type { DigestService } from '../digests/digest-service.js';
import { describeEmpty, latestDigestDate } from '../digests/preview.js';
import { ValidationError } from '../errors.js';
import { plural } from '../format-time.js';
import { withServices, type OpenServices } from './open-services.js';

interface PreviewOptions {
  date?: string;
  frequency?: string;
  topics?: string;
  latest?: boolean;
  out?: string;
  text?: boolean;
}

/** --frequency: a name of one (checked before anything opens; the service checks the rest). */
function frequencyName(v: string | undefined): Frequency | undefined {
  if (v === undefined) return undefined;
  if (!isFrequency(v))
    throw new ValidationError(
      'FREQUENCY_INVALID',
      `--frequency "${v}" is not daily, weekly or monthly`,
    );
  return v;
}

/** `--topics a,b`: the names, trimmed, empty ones dropped. */
export function topicsOption(v: string | undefined): string[] {
  return (
    v
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean) ?? []
  );
}

/**
 * `digest preview [--frequency F] [--date D | --latest] [--topics a,b] [--out file] [--text]`:
 * the variant a reader of those topics gets (every post without --topics). It goes to stdout or
 * `--out`: the stored one once the date is built, else rendered from the posts stored now; what
 * it is (or why there is none) goes to stderr. An empty digest with `--out` exits 1: the file
 * that was asked for was not written.
 */
export function registerPreviewCommand(program: Command, open: OpenServices): void {
  program
    .command('preview')
    .description(
      'show a digest: the stored one once it is built, else rendered from the posts stored now',
    )
    .option(
      '--date <date>',
      'send date YYYY-MM-DD or an edition id like weekly/2026-03-02 (default: the next scheduled digest)',
    )
    .option('--frequency <f>', 'daily, weekly or monthly (default: DIGEST_DEFAULT_FREQUENCY)')
    .option('--topics <a,b>', 'the variant of a reader of these topics (default: every post)')
    .option('--latest', 'the digest that carries the newest stored post')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--text', 'the plain-text part instead of the HTML')
    .action((opts: PreviewOptions) => preview(open, opts));
}

/** The options are checked first, then the preview is shown (or why there is none). */
async function preview(open: OpenServices, opts: PreviewOptions): Promise<void> {
  const frequency = frequencyName(opts.frequency);
  // Checked before anything opens: a bad date or id is refused at once.
  if (opts.date !== undefined) parseEdition(opts.date, frequency ?? 'weekly');
  const topics = topicsOption(opts.topics);
  if (opts.date !== undefined && opts.latest) {
    throw new ValidationError('PREVIEW_OPTIONS', 'give --date or --latest, not both');
  }
  await withServices(open, async ({ config, posts, digestService }) => {
    const f = frequency ?? config.digest.defaultFrequency;
    let date = opts.date ?? nextDigestDate(new Date(), frequencySchedule(config.digest, f));
    if (opts.latest) {
      const latest = await latestDigestDate({ config, postStore: posts });
      if (!latest) {
        process.stderr.write('No posts are stored yet: add a feed and run `ingest` first.\n');
        process.exitCode = 1;
        return;
      }
      date = latest;
    }
    // The one preview use case, the admin page's and API's too (digest-service.ts).
    const c = await digestService.preview(date, undefined, { frequency: f, topics });
    if (c.empty) {
      const line = describeEmpty(
        date,
        c.emptyReason,
        config.digest.tz,
        (d) => `try \`--date ${d}\` or \`--latest\``,
      );
      process.stderr.write(`${line}\n`);
      if (opts.out) {
        process.stderr.write(`Nothing was written to ${opts.out}.\n`);
        process.exitCode = 1;
      }
      return;
    }
    await writePreview(c, date, topics, opts);
  });
}

/** The digest to stdout or `--out`, and what it is to stderr. */
async function writePreview(
  c: Awaited<ReturnType<DigestService['preview']>>,
  date: string,
  topics: string[],
  opts: PreviewOptions,
): Promise<void> {
  const body = opts.text ? c.text : c.html;
  const source = c.stored
    ? `the stored digest, built ${c.builtAt} (${c.status})`
    : 'not built yet: rendered from the posts stored now';
  const what = `Digest of ${date}${topics.length ? ` (topics: ${topics.join(', ')})` : ''}: ${plural(c.posts.length, 'post')}, "${c.subject}"; ${source}.`;
  if (opts.out) {
    await writeFile(opts.out, body);
    process.stderr.write(`${what} Wrote ${opts.out}.\n`);
  } else {
    process.stderr.write(`${what}\n`);
    process.stdout.write(body);
  }
}

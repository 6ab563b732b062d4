import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { assertDigestDate, digestWindow, nextDigestDate } from '../digests/digest-window.js';
import {
  describeEmpty,
  digestContent,
  latestDigestDate,
  sampleRecipient,
} from '../digests/preview.js';
import { ValidationError } from '../errors.js';
import { plural } from '../format-time.js';
import { fillPlaceholders } from '../render/placeholders.js';
import { withServices, type OpenServices } from './open-services.js';

interface PreviewOptions {
  date?: string;
  latest?: boolean;
  out?: string;
  text?: boolean;
}

/**
 * `digest preview [--date D | --latest] [--out file] [--text]`. The digest goes to stdout or
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
    .option('--date <date>', 'send date YYYY-MM-DD (default: the next scheduled digest)')
    .option('--latest', 'the digest that carries the newest stored post')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--text', 'the plain-text part instead of the HTML')
    .action(async (opts: PreviewOptions) => {
      if (opts.date !== undefined) assertDigestDate(opts.date, '--date ');
      if (opts.date !== undefined && opts.latest) {
        throw new ValidationError('PREVIEW_OPTIONS', 'give --date or --latest, not both');
      }
      await withServices(open, async ({ config, posts, renderer, digests }) => {
        const schedule = config.digest;
        let date = opts.date ?? nextDigestDate(new Date(), schedule);
        if (opts.latest) {
          const latest = await latestDigestDate({ config, postStore: posts });
          if (!latest) {
            process.stderr.write('No posts are stored yet: add a feed and run `ingest` first.\n');
            process.exitCode = 1;
            return;
          }
          date = latest;
        }
        const c = await digestContent(
          {
            postStore: posts,
            posts,
            digests,
            renderer,
            config,
            getPreviousBuiltAt: (d) => digests.previousBuiltAt(digestWindow(d, schedule).sendAt),
          },
          date,
        );
        if (c.empty) {
          const line = describeEmpty(
            date,
            'emptyReason' in c ? c.emptyReason : undefined,
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
        const sample = sampleRecipient(config.site.publicUrl);
        const body = fillPlaceholders(opts.text ? c.text : c.html, sample);
        const source = c.stored
          ? `the stored digest, built ${c.builtAt} (${c.status})`
          : 'not built yet: rendered from the posts stored now';
        const what = `Digest of ${date}: ${plural(c.posts.length, 'post')}, "${c.subject}"; ${source}.`;
        if (opts.out) {
          await writeFile(opts.out, body);
          process.stderr.write(`${what} Wrote ${opts.out}.\n`);
        } else {
          process.stderr.write(`${what}\n`);
          process.stdout.write(body);
        }
      });
    });
}

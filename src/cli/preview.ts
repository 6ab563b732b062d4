import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { assertDigestDate, digestWindow, nextDigestDate } from '../digests/digest-window.js';
import { digestContent, sampleRecipient } from '../digests/preview.js';
import { fillPlaceholders } from '../render/placeholders.js';
import { withServices, type OpenServices } from './open-services.js';

/** `digest preview [--date D] [--out file] [--text]`. */
export function registerPreviewCommand(program: Command, open: OpenServices): void {
  program
    .command('preview')
    .description(
      'show a digest: the stored one once it is built, else rendered from the posts stored now',
    )
    .option('--date <date>', 'send date YYYY-MM-DD (default: the next scheduled digest)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--text', 'the plain-text part instead of the HTML')
    .action(async (opts: { date?: string; out?: string; text?: boolean }) => {
      if (opts.date !== undefined) assertDigestDate(opts.date, '--date ');
      await withServices(open, async ({ config, posts, renderer, digests }) => {
        const schedule = config.digest;
        const date = opts.date ?? nextDigestDate(new Date(), schedule);
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
          process.stderr.write(`No posts for the digest of ${date}: it would not be sent.\n`);
          return;
        }
        const sample = sampleRecipient(config.site.publicUrl);
        const body = fillPlaceholders(opts.text ? c.text : c.html, sample);
        const what = c.stored
          ? `the stored digest, built ${c.builtAt} (${c.status})`
          : 'not built yet: rendered from the posts stored now';
        if (opts.out) {
          await writeFile(opts.out, body);
          process.stderr.write(
            `Digest of ${date}: ${c.posts.length} posts, "${c.subject}"; ${what}. Wrote ${opts.out}.\n`,
          );
        } else {
          process.stderr.write(`Digest of ${date}: ${what}.\n`);
          process.stdout.write(body);
        }
      });
    });
}

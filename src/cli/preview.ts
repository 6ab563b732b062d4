import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { assertDigestDate, digestWindow, nextDigestDate } from '../digests/digest-window.js';
import { previewDigest } from '../digests/preview.js';
import { withServices, type OpenServices } from './open-services.js';

/** `digest preview [--date D] [--out file] [--text]`. */
export function registerPreviewCommand(program: Command, open: OpenServices): void {
  program
    .command('preview')
    .description('render a digest from the posts stored now, without building or sending it')
    .option('--date <date>', 'send date YYYY-MM-DD (default: the next scheduled digest)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--text', 'the plain-text part instead of the HTML')
    .action(async (opts: { date?: string; out?: string; text?: boolean }) => {
      if (opts.date !== undefined) assertDigestDate(opts.date, '--date ');
      await withServices(open, async ({ config, posts, renderer, digests }) => {
        const schedule = config.digest;
        const date = opts.date ?? nextDigestDate(new Date(), schedule);
        const preview = await previewDigest(
          {
            postStore: posts,
            renderer,
            config,
            getPreviousBuiltAt: (d) => digests.previousBuiltAt(digestWindow(d, schedule).sendAt),
          },
          date,
        );
        if (preview.empty) {
          process.stderr.write(`No posts for the digest of ${date}: it would not be sent.\n`);
          return;
        }
        const body = opts.text ? preview.text : preview.html;
        if (opts.out) {
          await writeFile(opts.out, body);
          process.stderr.write(
            `Digest of ${date}: ${preview.posts.length} posts, "${preview.subject}". Wrote ${opts.out}.\n`,
          );
        } else {
          process.stdout.write(body);
        }
      });
    });
}

import type { Command } from 'commander';
import { importBounces, type BounceImportResult } from '../delivery/bounce-import.js';
import { withServices, type OpenServices } from './open-services.js';

/** Registers `bounces import <path> [--dry-run] [--json]`. */
export function registerBounceCommands(program: Command, open: OpenServices): void {
  const bounces = program
    .command('bounces')
    .description('Bounce (DSN) and complaint (ARF) reports');
  bounces
    .command('import')
    .description(
      'Read DSN bounce reports (RFC 3464) and ARF complaint reports (RFC 5965) from a .eml file, an mbox, ' +
        'or a directory of them; mark subscribers bounced (permanent failures only) or complained, ' +
        'and suppress those addresses for good. Only reports carrying a token we signed (VERP sender ' +
        'or Message-ID) count. Mails to unsubscribe+<token>@ (LIST_UNSUBSCRIBE_MAILTO) unsubscribe',
    )
    .argument('<path>', '.eml file, mbox file, or directory')
    .option('--dry-run', 'read and count, change nothing')
    .option('--json', 'print the result as JSON')
    .action((target: string, opts: { dryRun?: boolean; json?: boolean }) =>
      withServices(open, async ({ subscribers, tokens }) => {
        const result = await importBounces({ store: subscribers, tokens }, target, {
          dryRun: opts.dryRun,
        });
        process.stdout.write(
          opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result, opts.dryRun),
        );
        // Messages that are no report (auto-replies in a bounce mailbox) are normal; a path that
        // cannot be read at all is a failure.
        if (result.errors.some((e) => e.code === 'FILE_UNREADABLE')) process.exitCode = 1;
      }),
    );
}

/** The human summary: counts, then one line per file error. */
function formatResult(r: BounceImportResult, dryRun = false): string {
  const lines = [
    `${dryRun ? 'Dry run: nothing changed. ' : ''}Read ${r.messages} message(s).`,
    `  bounced (permanent):  ${r.bounced}`,
    `  complained:           ${r.complained}`,
    `  ignored (temporary):  ${r.temporary}`,
    `  ignored (other):      ${r.otherIgnored}`,
    `  unsubscribed (mail):  ${r.unsubscribed}`,
    `  ignored (untrusted):  ${r.untrusted} (no token of ours for that address: forged or not ours)`,
    `  unknown subscribers:  ${r.unknown}`,
    `  invalid addresses:    ${r.invalid}`,
    `  file errors:          ${r.errors.length}`,
    ...r.errors.map((e) => `    ${e.source}: ${e.code} ${e.message}`),
  ];
  return `${lines.join('\n')}\n`;
}

import type { Command } from 'commander';
import type { Context } from '../context.js';
import { normaliseAddress } from '../subscribers/address.js';
import { createSubscriberStore, type SubscriberStore } from '../subscribers/subscriber-store.js';
import { parseReport, type BounceEvent, type ReportError } from './bounce-reports.js';
import { readReportMessages } from './bounce-sources.js';

/** What an import did, for the CLI's summary and for tests. */
export interface BounceImportResult {
  /** Messages read (files, or messages of an mbox). */
  messages: number;
  /** Permanent-failure bounces of known subscribers. */
  bounced: number;
  /** Complaints of known subscribers. */
  complained: number;
  /** Delays and 4.x.x failures: nothing done. */
  temporary: number;
  /** Other recipients a report mentions without a failure (delivered, relayed, not-spam ...). */
  otherIgnored: number;
  /** Bounces and complaints of addresses that are no subscriber (suppressed all the same). */
  unknown: number;
  /** Addresses in reports that are no valid address. */
  invalid: number;
  /** Per-file (or per-message) problems: unreadable, not a report, malformed. */
  errors: ReportError[];
}

type Store = Pick<SubscriberStore, 'getByEmail' | 'setStatus' | 'suppress'>;

/**
 * Reads DSN bounce and ARF complaint reports under `target` (a .eml file, an mbox, or a
 * directory) and applies them: a permanent bounce marks the subscriber bounced, a complaint marks
 * it complained, and either suppresses the address, so that no later add or import revives it
 * (the store's add refuses suppressed addresses). Unknown addresses are suppressed too: the
 * report is the provider's word that mail to them must stop. With `dryRun`, only counts.
 */
export async function importBounces(
  deps: { store: Store },
  target: string,
  opts: { dryRun?: boolean } = {},
): Promise<BounceImportResult> {
  const result: BounceImportResult = {
    messages: 0,
    bounced: 0,
    complained: 0,
    temporary: 0,
    otherIgnored: 0,
    unknown: 0,
    invalid: 0,
    errors: [],
  };
  for await (const message of readReportMessages(target)) {
    result.messages++;
    if ('error' in message) {
      result.errors.push({ source: message.source, ...message.error });
      continue;
    }
    const report = parseReport(message.raw, message.source);
    result.errors.push(...report.errors);
    for (const ignored of report.ignored) {
      if (ignored.reason === 'temporary') result.temporary++;
      else result.otherIgnored++;
    }
    for (const event of report.events)
      await applyEvent(deps.store, event, result, opts.dryRun ?? false);
  }
  return result;
}

async function applyEvent(
  store: Store,
  event: BounceEvent,
  result: BounceImportResult,
  dryRun: boolean,
) {
  const addr = normaliseAddress(event.email);
  if (!addr.ok) {
    result.invalid++;
    return;
  }
  const subscriber = await store.getByEmail(addr.email);
  if (!subscriber) result.unknown++;
  else result[event.kind]++;
  if (dryRun) return;
  // suppress() records the suppression and moves a pending/confirmed subscriber to the matching
  // status. A complaint is the strongest signal, so it also overrides bounced or unsubscribed;
  // a bounce leaves an unsubscribed or complained subscriber's status as it is.
  await store.suppress(addr.email, event.kind);
  if (subscriber && event.kind === 'complained' && subscriber.status !== 'complained') {
    await store.setStatus(subscriber.id, 'complained');
  }
}

/** Registers `bounces import <path> [--dry-run] [--json]`. */
export function registerBounceCommands(program: Command, getContext: () => Promise<Context>): void {
  const bounces = program
    .command('bounces')
    .description('Bounce (DSN) and complaint (ARF) reports');
  bounces
    .command('import')
    .description(
      'Read DSN bounce reports (RFC 3464) and ARF complaint reports (RFC 5965) from a .eml file, an mbox, ' +
        'or a directory of them; mark subscribers bounced (permanent failures only) or complained, ' +
        'and suppress those addresses for good',
    )
    .argument('<path>', '.eml file, mbox file, or directory')
    .option('--dry-run', 'read and count, change nothing')
    .option('--json', 'print the result as JSON')
    .action(async (target: string, opts: { dryRun?: boolean; json?: boolean }) => {
      const ctx = await getContext();
      try {
        const store = createSubscriberStore({ redis: ctx.redis, keys: ctx.keys });
        const result = await importBounces({ store }, target, { dryRun: opts.dryRun });
        process.stdout.write(
          opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result, opts.dryRun),
        );
        // Messages that are no report (auto-replies in a bounce mailbox) are normal; a path that
        // cannot be read at all is a failure.
        if (result.errors.some((e) => e.code === 'FILE_UNREADABLE')) process.exitCode = 1;
      } finally {
        await ctx.close();
      }
    });
}

/** The human summary: counts, then one line per file error. */
export function formatResult(r: BounceImportResult, dryRun = false): string {
  const lines = [
    `${dryRun ? 'Dry run: nothing changed. ' : ''}Read ${r.messages} message(s).`,
    `  bounced (permanent):  ${r.bounced}`,
    `  complained:           ${r.complained}`,
    `  ignored (temporary):  ${r.temporary}`,
    `  ignored (other):      ${r.otherIgnored}`,
    `  unknown addresses:    ${r.unknown}${r.unknown && !dryRun ? ' (suppressed)' : ''}`,
    `  invalid addresses:    ${r.invalid}`,
    `  file errors:          ${r.errors.length}`,
    ...r.errors.map((e) => `    ${e.source}: ${e.code} ${e.message}`),
  ];
  return `${lines.join('\n')}\n`;
}

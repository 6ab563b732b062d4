import { normaliseAddress } from '../subscribers/address.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
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

import { normaliseAddress } from '../subscribers/address.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import type { Tokens } from '../subscribers/tokens.js';
import { parseReport, type BounceEvent, type ReportError } from './bounce-reports.js';
import { readReportMessages } from './bounce-sources.js';
import { createReportTrust } from './report-trust.js';

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
  /** Signed, but the subscriber it names is gone: nothing done. */
  unknown: number;
  /**
   * Bounces and complaints ignored because the report carries no token we signed, or names an
   * address other than the subscriber its token belongs to (a forged or misattributed report).
   */
  untrusted: number;
  /** Mails to a subscriber's `unsubscribe+<token>@…` (LIST_UNSUBSCRIBE_MAILTO) that unsubscribed. */
  unsubscribed: number;
  /** Addresses in reports that are no valid address. */
  invalid: number;
  /** Per-file (or per-message) problems: unreadable, not a report, malformed. */
  errors: ReportError[];
}

type Store = Pick<SubscriberStore, 'get' | 'setStatus' | 'suppress'>;

/**
 * Reads DSN bounce and ARF complaint reports under `target` (a .eml file, an mbox, or a
 * directory) and applies those that carry a token we signed (report-trust.ts) for the address
 * they name: a permanent bounce marks the subscriber bounced, a complaint marks it complained,
 * and either suppresses the address, so that no later add or import revives it (the store's add
 * refuses suppressed addresses). Others are counted as untrusted and change nothing. A mail to
 * a subscriber's `unsubscribe+<token>@…` unsubscribes them. With `dryRun`, only counts.
 */
export async function importBounces(
  deps: { store: Store; tokens: Pick<Tokens, 'verify'> },
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
    untrusted: 0,
    unsubscribed: 0,
    invalid: 0,
    errors: [],
  };
  const trust = createReportTrust(deps.tokens);
  for await (const message of readReportMessages(target)) {
    result.messages++;
    if ('error' in message) {
      result.errors.push({ source: message.source, ...message.error });
      continue;
    }
    const report = parseReport(message.raw, message.source);
    const unsubscribe = report.events.length === 0 ? trust.unsubscribeRequest(report) : undefined;
    if (unsubscribe !== undefined) {
      await applyUnsubscribe(deps.store, unsubscribe, result, opts.dryRun ?? false);
      continue;
    }
    result.errors.push(...report.errors);
    for (const ignored of report.ignored) {
      if (ignored.reason === 'temporary') result.temporary++;
      else result.otherIgnored++;
    }
    const signed = trust.bounceSubscribers(report);
    for (const event of report.events)
      await applyEvent(deps.store, event, signed, result, opts.dryRun ?? false);
  }
  return result;
}

async function applyUnsubscribe(
  store: Store,
  id: number,
  result: BounceImportResult,
  dryRun: boolean,
) {
  const subscriber = await store.get(id);
  if (!subscriber) {
    result.unknown++;
    return;
  }
  result.unsubscribed++;
  if (!dryRun && (subscriber.status === 'confirmed' || subscriber.status === 'pending'))
    await store.setStatus(id, 'unsubscribed');
}

async function applyEvent(
  store: Store,
  event: BounceEvent,
  signed: Set<number>,
  result: BounceImportResult,
  dryRun: boolean,
) {
  const addr = normaliseAddress(event.email);
  if (!addr.ok) {
    result.invalid++;
    return;
  }
  // Only a subscriber a signed token names, and only for that subscriber's own address.
  let subscriber;
  for (const id of signed) {
    const s = await store.get(id);
    if (!s) result.unknown++;
    else if (normaliseAddress(s.email).ok && s.email.toLowerCase() === addr.email.toLowerCase())
      subscriber = s;
  }
  if (!subscriber) {
    result.untrusted++;
    return;
  }
  result[event.kind]++;
  if (dryRun) return;
  // suppress() records the suppression and moves a pending/confirmed subscriber to the matching
  // status. A complaint is the strongest signal, so it also overrides bounced or unsubscribed;
  // a bounce leaves an unsubscribed or complained subscriber's status as it is.
  await store.suppress(addr.email, event.kind);
  if (subscriber && event.kind === 'complained' && subscriber.status !== 'complained') {
    await store.setStatus(subscriber.id, 'complained');
  }
}

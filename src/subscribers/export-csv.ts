import { stringify } from 'csv-stringify/sync';
import type { SubscriberStore } from './subscriber-store.js';
import type { Subscriber, SubscriberStatus } from './subscriber.js';

/** The same columns the import reads first, so an export can be imported elsewhere as is. */
export const EXPORT_COLUMNS = [
  'email',
  'name',
  'timezone',
  'status',
  'frequency',
  'topics',
  'created_at',
  'confirmed_at',
];

/**
 * A cell starting with = + - @ (or a tab/CR) would run as a formula when the file is opened in
 * a spreadsheet: every such cell, addresses included (`=cmd|…@x.example` is a valid address),
 * gets a leading apostrophe (OWASP's CSV injection advice), which spreadsheets show as text.
 */
export function safeCell(s: string | undefined): string {
  if (!s) return '';
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

function toRow(s: Subscriber): string[] {
  // Frequency empty: the site's default (so a changed DIGEST_DEFAULT_FREQUENCY still applies).
  const topics = s.topics.join(';');
  return [s.email, s.name, s.tz, s.status, s.frequency, topics, s.createdAt, s.confirmedAt].map(
    safeCell,
  );
}

/**
 * Subscribers as CSV (header first), one chunk per page of `pageSize` in id order, so memory
 * stays one page whatever the list's size. Used by `subscribers export` and the admin API.
 */
export async function* exportSubscribersCsv(
  store: Pick<SubscriberStore, 'iterate'>,
  opts: { status?: SubscriberStatus; pageSize?: number } = {},
): AsyncGenerator<string> {
  yield stringify([EXPORT_COLUMNS]);
  for await (const page of store.iterate({ status: opts.status, pageSize: opts.pageSize ?? 500 })) {
    yield stringify(page.map(toRow));
  }
}

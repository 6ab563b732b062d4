import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { ValidationError } from '../errors.js';
import type { AddInput, SubscriberStore } from './subscriber-store.js';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from './subscriber.js';

export interface ImportProgress {
  /** Data rows read so far (valid or not). */
  rows: number;
  /** Bytes of the file read so far, and its size when known (a path; not a stream). */
  bytes: number;
  totalBytes?: number;
  created: number;
  invalid: number;
}

export interface InvalidRow {
  /** Line number in the file (the header is line 1; a multi-line record: its last line). */
  line: number;
  code: string;
  reason: string;
}

export interface ImportSummary {
  rows: number;
  created: number;
  /** Existing subscribers that gained a missing name/tz or moved pending → confirmed / to an opt-out. */
  updated: number;
  unchanged: number;
  /** Rows whose address is suppressed (erased, bounced, complained): not added. */
  suppressed: number;
  invalidCount: number;
  /** The first MAX_REPORTED invalid rows, in line order. */
  invalid: InvalidRow[];
}

/** Rows per addMany call: one Lua call of the store. */
const BATCH = 1000;
/** Enough to show what is wrong with a file without holding a broken million-row file's errors. */
const MAX_REPORTED = 1000;
/** A record larger than this is an error (an unclosed quote would otherwise buffer the file). */
const MAX_RECORD_BYTES = 64 * 1024;

const HEADER_ALIASES: Record<string, keyof Row> = {
  email: 'email',
  'e-mail': 'email',
  'email address': 'email',
  name: 'name',
  timezone: 'timezone',
  'time zone': 'timezone',
  tz: 'timezone',
  status: 'status',
};

interface Row {
  email?: string;
  name?: string;
  timezone?: string;
  status?: string;
}

/** Maps the header row (case-insensitive, aliases allowed) to known columns; others are ignored. */
function readHeader(header: string[]): (keyof Row | false)[] {
  const seen = new Set<string>();
  const cols = header.map((h) => {
    const col = HEADER_ALIASES[h.trim().toLowerCase()];
    if (!col) return false;
    if (seen.has(col))
      throw new ValidationError('IMPORT_HEADER_INVALID', `the column "${col}" appears twice`);
    seen.add(col);
    return col;
  });
  if (!seen.has('email')) {
    throw new ValidationError(
      'IMPORT_HEADER_INVALID',
      'the first line must be a header row with an "email" column (optional: name, timezone, status)',
    );
  }
  return cols;
}

/**
 * Imports subscribers from a CSV file (a path or a stream), streamed, `BATCH` rows at a time.
 * A header row is required: `email`, and optionally `name`, `timezone`, `status`, in any case
 * and order. Rows without a status get `defaultStatus` (confirmed: an admin importing an
 * existing list vouches for it). Invalid rows are reported with their line number and reason,
 * the rest imported. Importing the same file twice changes nothing the second time.
 *
 * Never revives anyone: a suppressed address (erased, bounced, complained) is counted as
 * suppressed and not added, and an existing unsubscribed/bounced/complained subscriber keeps
 * that status whatever the row says (see the store's `add`). An opt-out status in a row does
 * apply to an existing pending/confirmed subscriber: the source list's opt-outs are honoured.
 */
export async function importSubscribers(
  deps: { store: Pick<SubscriberStore, 'addMany'> },
  source: string | Readable,
  opts: { onProgress?: (p: ImportProgress) => void; defaultStatus?: SubscriberStatus } = {},
): Promise<ImportSummary> {
  const defaultStatus = opts.defaultStatus ?? 'confirmed';
  const totalBytes = typeof source === 'string' ? (await stat(source)).size : undefined;
  const input = typeof source === 'string' ? createReadStream(source) : source;
  const summary: ImportSummary = {
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    suppressed: 0,
    invalidCount: 0,
    invalid: [],
  };
  const reject = (line: number, code: string, reason: string) => {
    summary.invalidCount++;
    if (summary.invalid.length < MAX_REPORTED) summary.invalid.push({ line, code, reason });
  };
  const parser = parse({
    columns: readHeader,
    info: true,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    // No `trim` option: with it, csv-parse cannot recover from a stray quote (the address check
    // trims the address; name, tz and status are trimmed below).
    // A stray quote inside a field is kept as text (the row then fails the address check)
    // instead of throwing the parser into quote mode for the rest of the file.
    relax_quotes: true,
    max_record_size: MAX_RECORD_BYTES,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined) => {
      summary.rows++;
      reject(Number(err?.lines ?? 0), 'CSV_MALFORMED', err?.message ?? 'malformed CSV record');
      return undefined;
    },
  });
  // A stream error (unreadable file) must reject the import, not hang it.
  input.once('error', (err: Error) => parser.destroy(err));
  input.pipe(parser);

  let batch: { line: number; input: AddInput }[] = [];
  const progress = () =>
    opts.onProgress?.({
      rows: summary.rows,
      bytes: parser.info.bytes,
      totalBytes,
      created: summary.created,
      invalid: summary.invalidCount,
    });
  const flush = async () => {
    if (batch.length === 0) return;
    const res = await deps.store.addMany(batch.map((b) => b.input));
    summary.created += res.created;
    summary.updated += res.updated;
    summary.unchanged += res.unchanged;
    summary.suppressed += res.suppressed;
    res.items.forEach((item, i) => {
      if (item.outcome === 'invalid')
        reject(batch[i]!.line, item.code ?? 'INVALID', item.message ?? 'invalid row');
    });
    batch = [];
    progress();
  };

  for await (const { record, info } of parser as AsyncIterable<{
    record: Row;
    info: { lines: number };
  }>) {
    summary.rows++;
    const status = record.status?.trim().toLowerCase() || defaultStatus;
    if (!record.email?.trim()) {
      reject(info.lines, 'ADDRESS_EMPTY', 'no email address in this row');
      continue;
    }
    if (!(SUBSCRIBER_STATUSES as readonly string[]).includes(status)) {
      reject(info.lines, 'SUBSCRIBER_STATUS_INVALID', `unknown status "${record.status}"`);
      continue;
    }
    batch.push({
      line: info.lines,
      input: {
        email: record.email,
        name: record.name?.trim() || undefined,
        tz: record.timezone?.trim() || undefined,
        status: status as SubscriberStatus,
      },
    });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  summary.invalid.sort((a, b) => a.line - b.line);
  return summary;
}

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { AppError, ValidationError } from '../errors.js';
import type { Frequency } from '../digests/frequency.js';
import { createRecordReader, type CsvRecord } from './csv-records.js';
import { checkFrequency, checkTopics, splitTopicNames } from './delivery-choice.js';
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
  /** Line number in the file where the row starts (the header is line 1). */
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
/** A record longer than this is reported, not parsed. */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * The store failed part-way (Redis out of memory, say): every row before `resumeLine` is
 * stored. Running the same import again finishes it (stored rows come back `unchanged`), or
 * `fromLine: resumeLine` skips what is stored.
 */
export class ImportInterruptedError extends AppError {
  constructor(
    readonly summary: ImportSummary,
    readonly resumeLine: number,
    cause: Error,
  ) {
    const stored = summary.created + summary.updated + summary.unchanged + summary.suppressed;
    super(
      'IMPORT_INTERRUPTED',
      `The import stopped at line ${resumeLine}: ${cause.message}. ${stored} rows before it are stored. ` +
        `Fix the cause, then run the same import again (stored rows stay as they are), ` +
        `or resume from line ${resumeLine}.`,
      503,
    );
    this.name = 'ImportInterruptedError';
  }
}

const HEADER_ALIASES: Record<string, keyof Row> = {
  email: 'email',
  'e-mail': 'email',
  'email address': 'email',
  name: 'name',
  timezone: 'timezone',
  'time zone': 'timezone',
  tz: 'timezone',
  status: 'status',
  frequency: 'frequency',
  topics: 'topics',
};

interface Row {
  email?: string;
  name?: string;
  timezone?: string;
  status?: string;
  frequency?: string;
  topics?: string;
}

/** What a row's frequency and topics are checked against: the site's, as they are now. */
export interface ImportChoices {
  frequencies: readonly Frequency[];
  topics: readonly { name: string }[];
}

/** A row's frequency and topics (names separated by `;`) checked, or why not. */
function rowChoice(
  row: Row,
  choices: ImportChoices,
): { frequency?: Frequency; topics?: string[] } | { code: string; reason: string } {
  const out: { frequency?: Frequency; topics?: string[] } = {};
  if (row.frequency?.trim()) {
    const f = checkFrequency(row.frequency, choices.frequencies);
    if (!f.ok) return { code: 'SUBSCRIBER_FREQUENCY_INVALID', reason: f.message };
    out.frequency = f.value;
  }
  if (row.topics?.trim()) {
    const t = checkTopics(splitTopicNames(row.topics, ';'), choices.topics);
    if (!t.ok) return { code: 'SUBSCRIBER_TOPICS_INVALID', reason: t.message };
    out.topics = t.value;
  }
  return out;
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
      'the first line must be a header row with an "email" column (optional: name, timezone, status, frequency, topics)',
    );
  }
  return cols;
}

/**
 * Imports subscribers from a CSV file (a path or a stream), streamed, `BATCH` rows at a time.
 * A header row is required: `email`, and optionally `name`, `timezone`, `status`, `frequency`,
 * `topics` (names separated by `;`), in any case and order. A frequency the site does not offer
 * or a topic that does not exist (checked against `choices`) makes its row invalid. Rows without a status get `defaultStatus` (confirmed: an admin importing an
 * existing list vouches for it). Invalid rows are reported with their line number and reason,
 * the rest imported. Importing the same file twice changes nothing the second time.
 *
 * Fields may be quoted ("Doe, Jane", "" for a quote inside, a line break inside). A quote that
 * is never closed spoils only its own row, reported at the line where it opened; every other
 * row is imported (see createRecordReader).
 *
 * Never revives anyone: a suppressed address (erased, bounced, complained) is counted as
 * suppressed and not added, and an existing unsubscribed/bounced/complained subscriber keeps
 * that status whatever the row says (see the store's `add`). An opt-out status in a row does
 * apply to an existing pending/confirmed subscriber: the source list's opt-outs are honoured.
 *
 * @throws ImportInterruptedError when the store fails part-way, naming the line to resume at.
 */
export async function importSubscribers(
  deps: { store: Pick<SubscriberStore, 'addMany'>; choices: ImportChoices },
  source: string | Readable,
  opts: {
    onProgress?: (p: ImportProgress) => void;
    defaultStatus?: SubscriberStatus;
    /** Skip data rows before this line (resuming an interrupted import). */
    fromLine?: number;
  } = {},
): Promise<ImportSummary> {
  const defaultStatus = opts.defaultStatus ?? 'confirmed';
  const totalBytes = typeof source === 'string' ? (await stat(source)).size : undefined;
  const input = typeof source === 'string' ? createReadStream(source) : source;
  const summary = emptySummary();
  let bytes = 0;
  const progress = () =>
    opts.onProgress?.({
      rows: summary.rows,
      bytes,
      totalBytes,
      created: summary.created,
      invalid: summary.invalidCount,
    });
  const batches = createBatches(deps.store, summary, progress);

  const lines = createInterface({ input, crlfDelay: Infinity });
  // A stream error (unreadable file) must reject the import, not hang it.
  const failed = new Promise<never>((_, rejectRead) => input.once('error', rejectRead));
  failed.catch(() => {});
  let columns: (keyof Row | false)[] | undefined;
  const handle = async (rec: CsvRecord) => {
    if (!columns) {
      columns = readHeader('unclosed' in rec ? [] : (parseLine(rec.text) ?? []));
      return;
    }
    if (opts.fromLine !== undefined && rec.line < opts.fromLine) return;
    summary.rows++;
    const row = rowInput(rec, columns, defaultStatus, deps.choices);
    if ('code' in row) return reject(summary, rec.line, row.code, row.reason);
    await batches.add(rec.line, row);
  };
  const read = async () => {
    await readRecords(lines, handle, (n) => (bytes += n));
    await batches.flush();
  };
  await Promise.race([read(), failed]);
  if (!columns) readHeader([]);
  summary.invalid.sort((a, b) => a.line - b.line);
  return summary;
}

function emptySummary(): ImportSummary {
  return {
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    suppressed: 0,
    invalidCount: 0,
    invalid: [],
  };
}

/** Counts an invalid row; the first MAX_REPORTED are kept with their line and reason. */
function reject(summary: ImportSummary, line: number, code: string, reason: string): void {
  summary.invalidCount++;
  if (summary.invalid.length < MAX_REPORTED) summary.invalid.push({ line, code, reason });
}

/**
 * Valid rows go to the store `BATCH` at a time (one `addMany` each), counted in `summary`.
 * A store failure throws ImportInterruptedError naming the batch's first line: every row
 * before it is stored.
 */
function createBatches(
  store: Pick<SubscriberStore, 'addMany'>,
  summary: ImportSummary,
  progress: () => void,
) {
  let batch: { line: number; input: AddInput }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    let res;
    try {
      res = await store.addMany(batch.map((b) => b.input));
    } catch (err) {
      summary.invalid.sort((a, b) => a.line - b.line);
      throw new ImportInterruptedError(summary, batch[0]!.line, err as Error);
    }
    summary.created += res.created;
    summary.updated += res.updated;
    summary.unchanged += res.unchanged;
    summary.suppressed += res.suppressed;
    res.items.forEach((item, i) => {
      if (item.outcome === 'invalid')
        reject(summary, batch[i]!.line, item.code ?? 'INVALID', item.message ?? 'invalid row');
    });
    batch = [];
    progress();
  };
  return {
    flush,
    async add(line: number, input: AddInput): Promise<void> {
      batch.push({ line, input });
      if (batch.length >= BATCH) await flush();
    },
  };
}

/** A data record as the store's input, or why its row is invalid (checked in this order). */
function rowInput(
  rec: CsvRecord,
  columns: (keyof Row | false)[],
  defaultStatus: SubscriberStatus,
  choices: ImportChoices,
): AddInput | { code: string; reason: string } {
  const row =
    'unclosed' in rec
      ? 'a quote opened on this line is never closed: the row is skipped, the lines after it are read as rows'
      : toRow(rec.text, columns);
  if (typeof row === 'string') return { code: 'CSV_MALFORMED', reason: row };
  const status = row.status?.trim().toLowerCase() || defaultStatus;
  if (!row.email?.trim()) return { code: 'ADDRESS_EMPTY', reason: 'no email address in this row' };
  if (!(SUBSCRIBER_STATUSES as readonly string[]).includes(status)) {
    return { code: 'SUBSCRIBER_STATUS_INVALID', reason: `unknown status "${row.status}"` };
  }
  const choice = rowChoice(row, choices);
  if ('code' in choice) return choice;
  return {
    email: row.email,
    name: row.name?.trim() || undefined,
    tz: row.timezone?.trim() || undefined,
    status: status as SubscriberStatus,
    ...choice,
  };
}

/** Feeds each line (a BOM dropped from the first) to the record reader, and its records to `handle`. */
async function readRecords(
  lines: AsyncIterable<string>,
  handle: (rec: CsvRecord) => Promise<void>,
  onBytes: (n: number) => void,
): Promise<void> {
  const records = createRecordReader();
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    onBytes(Buffer.byteLength(raw) + 1);
    for (const rec of records.push(lineNo, lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw))
      await handle(rec);
  }
  for (const rec of records.end()) await handle(rec);
}

/** One line's fields, or undefined when it is not valid CSV. */
function parseLine(text: string): string[] | undefined {
  try {
    const [fields] = parse(text, { relax_quotes: true, relax_column_count: true });
    return fields ?? [];
  } catch {
    return undefined;
  }
}

/** A record as a Row, or the reason it cannot be read. */
function toRow(text: string, columns: (keyof Row | false)[]): Row | string {
  if (text.length > MAX_LINE_CHARS) return `the row is longer than ${MAX_LINE_CHARS} characters`;
  const fields = parseLine(text);
  if (!fields) return 'not a valid CSV row (a stray quote?)';
  const row: Row = {};
  columns.forEach((col, i) => {
    if (col && fields[i] !== undefined) row[col] = fields[i];
  });
  return row;
}

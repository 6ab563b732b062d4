import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { exportSubscribersCsv } from '../subscribers/export-csv.js';
import {
  ImportInterruptedError,
  importSubscribers,
  type ImportProgress,
  type ImportSummary,
} from '../subscribers/import-csv.js';
import { removeSubscriberByEmail } from '../subscribers/remove-subscriber.js';
import {
  SUBSCRIBER_STATUSES,
  type Subscriber,
  type SubscriberStatus,
} from '../subscribers/subscriber.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import { checkChoice } from '../subscribers/delivery-choice.js';
import type { Services } from '../services.js';
import { withServices, type OpenServices } from './open-services.js';

type Out = (line: string) => void;

interface AddOptions {
  confirmed?: boolean;
  tz?: string;
  name?: string;
  frequency?: string;
  topics?: string;
}

/** The frequencies the site offers and the topics that exist (the topic store). */
async function siteChoices(services: Services) {
  return { frequencies: services.config.digest.frequencies, topics: await services.topics.list() };
}

function parseStatus(s: string | undefined): SubscriberStatus | undefined {
  if (s === undefined) return undefined;
  const v = s.toLowerCase();
  if (!(SUBSCRIBER_STATUSES as readonly string[]).includes(v)) {
    throw new ValidationError(
      'SUBSCRIBER_STATUS_INVALID',
      `--status must be one of ${SUBSCRIBER_STATUSES.join(', ')}`,
    );
  }
  return v as SubscriberStatus;
}

function parseLimit(s: string | undefined, fallback: number): number {
  const n = s === undefined ? fallback : Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new ValidationError('LIMIT_INVALID', '--limit must be a whole number from 1 to 1000');
  }
  return n;
}

function row(s: Subscriber): string {
  const extra = [
    s.name && `name=${JSON.stringify(s.name)}`,
    s.tz && `tz=${s.tz}`,
    s.frequency && `frequency=${s.frequency}`,
    s.topics.length > 0 && `topics=${s.topics.join(',')}`,
    s.paused && 'paused',
  ]
    .filter(Boolean)
    .join(' ');
  return `${String(s.id).padStart(8)}  ${s.status.padEnd(12)}  ${s.email}${extra ? `  ${extra}` : ''}`;
}

/** Progress of an import: a bar on a terminal, a line every 10,000 rows otherwise. */
function importProgress(isTty: boolean, out: Out) {
  let bar: SingleBar | undefined;
  let lastLine = 0;
  return {
    update(p: ImportProgress) {
      if (isTty && p.totalBytes) {
        if (!bar) {
          bar = new SingleBar(
            {
              format:
                'import [{bar}] {percentage}% | {rows} rows | {created} new | {invalid} invalid',
            },
            Presets.shades_classic,
          );
          bar.start(p.totalBytes, 0, { rows: 0, created: 0, invalid: 0 });
        }
        bar.update(p.bytes, { rows: p.rows, created: p.created, invalid: p.invalid });
      } else if (p.rows - lastLine >= 10_000) {
        lastLine = p.rows;
        out(`… ${p.rows} rows read, ${p.created} new, ${p.invalid} invalid`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

function printSummary(r: ImportSummary, out: Out): void {
  out(`rows:       ${r.rows}`);
  out(`created:    ${r.created}`);
  out(`updated:    ${r.updated}`);
  out(`unchanged:  ${r.unchanged}`);
  out(`suppressed: ${r.suppressed} (erased, bounced or complained addresses: never added again)`);
  out(`invalid:    ${r.invalidCount}`);
  for (const bad of r.invalid) out(`  line ${bad.line}: ${bad.code} ${bad.reason}`);
  if (r.invalidCount > r.invalid.length) out(`  … and ${r.invalidCount - r.invalid.length} more`);
}

type Write = (chunk: string) => Promise<void>;
type WithStore = (fn: (store: SubscriberStore) => Promise<void>) => Promise<void>;

/**
 * `subscribers add|import|list|count|remove|export`. Output goes to `out` (stdout); the export's
 * CSV goes to `write` (stdout) page by page.
 */
export function registerSubscriberCommands(
  program: Command,
  open: OpenServices,
  out: Out = (line) => console.log(line),
  write: Write = (chunk) =>
    new Promise((resolve) =>
      process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', resolve),
    ),
): void {
  const withStore: WithStore = (fn) => withServices(open, (services) => fn(services.subscribers));
  const cmd = program.command('subscribers').description('manage subscribers');
  registerAdd(cmd, open, out);
  registerImport(cmd, open, out);
  registerList(cmd, withStore, out);
  registerRemove(cmd, withStore, out);
  registerExport(cmd, withStore, write);
}

function registerAdd(cmd: Command, open: OpenServices, out: Out): void {
  cmd
    .command('add <email>')
    .description(
      'add a subscriber (status pending unless --confirmed; with no web confirmation page yet, ' +
        'use --confirmed for someone who asked you directly)',
    )
    .option('--confirmed', 'add as confirmed (they receive the next digest)')
    .option('--tz <zone>', 'IANA time zone, e.g. Europe/Paris')
    .option('--name <name>', 'display name')
    .option('--frequency <f>', 'daily, weekly or monthly, among DIGEST_FREQUENCIES')
    .option('--topics <a,b>', 'topic names separated by commas (none: every post)')
    .action((email: string, opts: AddOptions) =>
      withServices(open, (services) => subscribersAdd(services, email, opts, out)),
    );
}

/** `subscribers add`: says whether it was added, changed or already there. */
async function subscribersAdd(
  services: Services,
  email: string,
  opts: AddOptions,
  out: Out,
): Promise<void> {
  const store = services.subscribers;
  const status: SubscriberStatus = opts.confirmed ? 'confirmed' : 'pending';
  const choice = checkChoice(
    { frequency: opts.frequency, topics: opts.topics },
    await siteChoices(services),
  );
  if (!choice.ok) throw new ValidationError('SUBSCRIBER_CHOICE_INVALID', choice.message);
  const r = await store.add({
    email,
    status,
    tz: opts.tz,
    name: opts.name,
    frequency: choice.value.frequency ?? undefined,
    topics: choice.value.topics ?? undefined,
  });
  const s = r.subscriber;
  if (r.created) out(`added ${s.email} (id ${s.id}) as ${s.status}`);
  else if (r.updated) out(`${s.email} (id ${s.id}) already existed; now ${s.status}`);
  else out(`${s.email} (id ${s.id}) already exists as ${s.status}; nothing changed`);
  if (
    s.status !== status &&
    !r.created &&
    ['unsubscribed', 'bounced', 'complained'].includes(s.status)
  ) {
    out(`  (an ${s.status} subscriber is never re-confirmed from here: they must subscribe again)`);
  }
}

type ImportOptions = { status: string; fromLine?: string };

function registerImport(cmd: Command, open: OpenServices, out: Out): void {
  cmd
    .command('import <file>')
    .description(
      'import a CSV file with a header row: email, and optionally name, timezone, status, ' +
        'frequency, topics (names separated by ";"; an unknown one makes its row invalid). ' +
        'Rows without a status are imported as CONFIRMED (an existing list you vouch for; use ' +
        '--status pending otherwise). Invalid rows are reported by line and skipped; importing ' +
        'the same file again changes nothing; suppressed (erased, bounced, complained) and ' +
        'unsubscribed addresses are never revived.',
    )
    .option('--status <status>', 'status for rows without one', 'confirmed')
    .option('--from-line <n>', 'skip the rows before this line (resume an interrupted import)')
    .action((file: string, opts: ImportOptions) =>
      withServices(open, (services) => subscribersImport(services, file, opts, out)),
    );
}

/**
 * `subscribers import`: exit 2 when some rows were invalid, 1 when the store failed part-way
 * (with the line to resume from).
 */
async function subscribersImport(
  services: Services,
  file: string,
  opts: ImportOptions,
  out: Out,
): Promise<void> {
  const store = services.subscribers;
  const choices = await siteChoices(services);
  const defaultStatus = parseStatus(opts.status)!;
  const progress = importProgress(Boolean(process.stderr.isTTY), out);
  try {
    const fromLine = opts.fromLine === undefined ? undefined : Number(opts.fromLine);
    if (fromLine !== undefined && (!Number.isInteger(fromLine) || fromLine < 2)) {
      throw new ValidationError('IMPORT_FROM_LINE', '--from-line must be a line number from 2');
    }
    const r = await importSubscribers({ store, choices }, file, {
      defaultStatus,
      fromLine,
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    printSummary(r, out);
    if (r.invalidCount > 0) process.exitCode = 2;
  } catch (err) {
    progress.stop();
    if (err instanceof ImportInterruptedError) {
      printSummary(err.summary, out);
      process.stderr.write(
        `${err.message} (\`subscribers import ${file} --from-line ${err.resumeLine}\`)\n`,
      );
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

/** `subscribers list` and `subscribers count`. */
function registerList(cmd: Command, withStore: WithStore, out: Out): void {
  cmd
    .command('list')
    .description(
      'list subscribers in id order (a page at a time: use --after with the last id shown)',
    )
    .option('--status <status>', `only this status (${SUBSCRIBER_STATUSES.join(', ')})`)
    .option('--search <text>', 'only addresses containing this text')
    .option('--limit <n>', 'at most this many (1-1000)', '50')
    .option('--after <id>', 'start after this subscriber id', '0')
    .action((opts: { status?: string; search?: string; limit?: string; after: string }) =>
      withStore(async (store) => {
        const page = await store.list({
          status: parseStatus(opts.status),
          search: opts.search,
          limit: parseLimit(opts.limit, 50),
          afterId: Number(opts.after) || 0,
        });
        for (const s of page.subscribers) out(row(s));
        if (page.subscribers.length === 0) out('no subscribers');
        if (page.nextAfterId !== undefined) out(`more: --after ${page.nextAfterId}`);
        if (page.nextCursor !== undefined) out('more matches exist: narrow the search');
      }),
    );

  cmd
    .command('count')
    .description('subscribers per status')
    .action(() =>
      withStore(async (store) => {
        const counts = await store.counts();
        for (const s of SUBSCRIBER_STATUSES) out(`${s.padEnd(13)} ${counts[s]}`);
      }),
    );
}

function registerRemove(cmd: Command, withStore: WithStore, out: Out): void {
  cmd
    .command('remove <email>')
    .description(
      'delete a subscriber; with --erase also suppress the address (kept only as a hash) so ' +
        'that no add or import brings it back',
    )
    .option('--erase', 'erase and suppress (GDPR erasure)')
    .action((email: string, opts: { erase?: boolean }) =>
      withStore(async (store) => {
        const s = await removeSubscriberByEmail(store, email, { erase: opts.erase });
        out(
          opts.erase
            ? `erased ${s.email} (id ${s.id}); the address is suppressed`
            : `removed ${s.email} (id ${s.id})`,
        );
      }),
    );
}

function registerExport(cmd: Command, withStore: WithStore, write: Write): void {
  cmd
    .command('export')
    .description(
      'write subscribers as CSV to stdout (email,name,timezone,status,frequency,topics,created_at,confirmed_at)',
    )
    .option('--status <status>', 'only this status')
    .action((opts: { status?: string }) =>
      withStore(async (store) => {
        for await (const chunk of exportSubscribersCsv(store, {
          status: parseStatus(opts.status),
        })) {
          await write(chunk);
        }
      }),
    );
}

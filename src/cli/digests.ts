import { createInterface } from 'node:readline/promises';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfigOrExit } from '../config.js';
import { describeFirstError, SETTLED_STATUSES } from '../digests/digest.js';
import type { DigestListItem } from '../digests/digest-service.js';
import { formatUpcomingSends, readUpcomingSends } from '../digests/schedule-listing.js';
import { nextDigestDate } from '../digests/digest-window.js';
import { frequencySchedule } from '../digests/edition-window.js';
import { ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { startWorkers } from '../../workers/start-workers.js';
import { frequencyOption } from './frequency-option.js';
import { topicsOption } from './preview.js';
import { withServices, type OpenServices } from './open-services.js';

/**
 * `send`, `runs`, `test-send`, `schedule` and `worker`: thin calls into the digest service and
 * the schedule. `send --wait` with no worker running starts the workers in this process (the
 * CLI is an entry point: it may).
 */
export function registerDigestCommands(program: Command, open: OpenServices) {
  registerSend(program, open);
  registerRuns(program, open);
  registerTestSend(program, open);
  registerSchedule(program, open);
  program
    .command('worker')
    .description('run the ingest, build and send workers (as many processes as you like)')
    .action(async () => {
      await import('../../workers/main.js');
    });
}

function registerSend(program: Command, open: OpenServices): void {
  program
    .command('send')
    .description(
      'build and send a digest now, by the same path as the scheduler (idempotent per date)',
    )
    .option('--date <date>', 'send date YYYY-MM-DD (default: the next scheduled digest)')
    .option(
      '--frequency <f>',
      'the edition of daily, weekly or monthly (default DIGEST_DEFAULT_FREQUENCY)',
    )
    .option('--now', 'every zone at once, not each at its own time (asks first on a terminal)')
    .option('--yes', 'with --now: do not ask')
    .option('--wait', 'show progress until it is done; exit 1 if any delivery failed')
    .option('--force', 'send a date more than 7 days back')
    .option('--retry-failed', "send again the date's deliveries that failed for now (network, 4xx)")
    .action((opts: SendOptions) => withServices(open, (services) => send(services, opts)));
}

function registerRuns(program: Command, open: OpenServices): void {
  program
    .command('runs')
    .description('digests with their status and counters')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'how many', '20')
    .action((opts: { json?: boolean; limit: string }) =>
      withServices(open, async (services) => {
        const runs = await services.digestService.list(Number(opts.limit) || 20);
        if (opts.json) console.log(JSON.stringify(runs, null, 2));
        else if (runs.length === 0) console.log('No digests yet.');
        else for (const r of runs) console.log(describe(r));
      }),
    );
}

type TestSendOptions = { date?: string; frequency?: string; topics?: string };

function registerTestSend(program: Command, open: OpenServices): void {
  program
    .command('test-send <email>')
    .description(
      'send one copy marked [Test] to <email>, outside the ledger: the variant a reader of those topics gets',
    )
    .option(
      '--frequency <f>',
      'the edition of daily, weekly or monthly (default DIGEST_DEFAULT_FREQUENCY)',
    )
    .option(
      '--date <date>',
      'send date YYYY-MM-DD or an edition id (default: the next scheduled digest)',
    )
    .option(
      '--topics <a,b>',
      "a reader of these topics (default: the subscriber's own, else every post)",
    )
    .action((email: string, opts: TestSendOptions) =>
      withServices(open, (services) => testSend(services, email, opts)),
    );
}

/** `test-send`: the preview's variant, sent as a digest is (digest-service.ts testSend). */
async function testSend(services: Services, email: string, opts: TestSendOptions): Promise<void> {
  const frequency = frequencyOption(services.config.digest, opts.frequency);
  const topics = topicsOption(opts.topics);
  const f = frequency ?? services.config.digest.defaultFrequency;
  const date =
    opts.date ?? nextDigestDate(new Date(), frequencySchedule(services.config.digest, f));
  await services.digestService.testSend(date, email, {
    ...(frequency ? { frequency } : {}),
    ...(topics.length ? { topics } : {}),
  });
  const what = frequency && !opts.date?.includes('/') ? `${frequency}/${date}` : date;
  console.log(
    `Sent a test copy of the digest of ${what}${topics.length ? ` (topics: ${topics.join(', ')})` : ''} to ${email} (${services.mailer().kind}).`,
  );
}

type ScheduleOptions = { frequency?: string; count: string; after?: string; json?: boolean };

function registerSchedule(program: Command, open: OpenServices): void {
  program
    .command('schedule')
    .description(
      'the next sends of each frequency: instant, zones and their subscribers, and each window',
    )
    .option('--frequency <f>', 'only this frequency (default: every one the site offers)')
    .option('--count <n>', 'how many editions of each frequency', '5')
    .option('--after <instant>', 'list the sends after this ISO instant instead of now')
    .option('--json', 'machine-readable output')
    .action((opts: ScheduleOptions) => listSchedule(open, opts));
}

/** `schedule`: the options are checked before anything opens. */
function listSchedule(open: OpenServices, opts: ScheduleOptions): Promise<void> {
  const count = Number(opts.count);
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new ValidationError('COUNT_INVALID', `--count "${opts.count}" is not 1..1000`);
  }
  const after = opts.after === undefined ? new Date() : new Date(opts.after);
  if (Number.isNaN(after.getTime())) {
    throw new ValidationError('INSTANT_INVALID', `--after "${opts.after}" is not an instant`);
  }
  const schedule = loadConfigOrExit().digest;
  const frequency = frequencyOption(schedule, opts.frequency);
  return withServices(open, async (services) => {
    // The zones in use and their subscribers: the group index (README "The schedule").
    const sends = await readUpcomingSends(
      { schedule, groups: services.groups, ...(frequency ? { frequencies: [frequency] } : {}) },
      after,
      count,
    );
    console.log(
      opts.json ? JSON.stringify(sends, null, 2) : formatUpcomingSends(sends, schedule).join('\n'),
    );
  });
}

type SendOptions = {
  date?: string;
  frequency?: string;
  now?: boolean;
  yes?: boolean;
  wait?: boolean;
  force?: boolean;
  retryFailed?: boolean;
};

/**
 * `send`: queues the build (or the retry of temporary failures); with `--wait`, follows it to
 * the end (workers in-process if none). Exit 1 when nothing could be sent or something failed.
 */
async function send(services: Services, opts: SendOptions): Promise<void> {
  // Said here too, not only in the log: the operator is looking at this output.
  for (const w of services.config.warnings) console.error(`WARNING: ${w}`);
  let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
  try {
    const queued = await queueSend(services, opts);
    if (!queued || !opts.wait) return;
    if ((await services.queues.build.getWorkersCount()) === 0) {
      console.log('No worker is running: sending from this process.');
      workers = await startWorkers(services, { schedules: false });
    }
    const final = await waitWithProgress(services, queued.date, queued.jobId);
    if (final) console.log(describe(final));
    if (!final || final.counters.failed > 0 || final.status === 'held') process.exitCode = 1;
  } finally {
    await workers?.close();
  }
}

/**
 * Queues the build (or the retry of temporary failures) and says what happened; undefined
 * when nothing was queued. Refusals (no posts, a date weeks back, SMTP failing the preflight)
 * are thrown by the service and end the command with exit code 1.
 */
async function queueSend(
  services: Services,
  opts: SendOptions,
): Promise<{ date: string; jobId?: string } | undefined> {
  if (opts.retryFailed) {
    if (!opts.date)
      throw new ValidationError('DIGEST_DATE_MISSING', '--retry-failed needs --date.');
    const r = await services.digestService.retryFailed(opts.date);
    if (r.temporary === 0) {
      console.log(`No delivery of ${r.date} failed with a temporary cause: nothing to retry.`);
      return undefined;
    }
    console.log(`Digest ${r.date}: sending again ${r.temporary} deliveries that failed for now.`);
    return r;
  }
  const frequency =
    frequencyOption(services.config.digest, opts.frequency) ??
    services.config.digest.defaultFrequency;
  if (opts.now && !opts.yes && !(await confirmAllZones(frequency, opts.date))) {
    console.log('Nothing was sent.');
    return undefined;
  }
  const out = await services.digestService.trigger(opts.date, {
    force: opts.force,
    frequency,
    now: opts.now,
  });
  if (out.created) {
    console.log(
      `Digest ${frequency}/${out.date}: queued to build and send ` +
        (opts.now ? 'to every zone now.' : 'to each zone at its time (zones already past: now).'),
    );
    return out;
  }
  const s = await services.digestService.summary(out.date);
  const temporary = (s?.failures ?? [])
    .filter((g) => g.cause === 'temporary')
    .reduce((n, g) => n + g.count, 0);
  console.log(
    `Digest ${out.date} exists already (${s?.status}): nothing new is sent.` +
      (temporary && s && SETTLED_STATUSES.includes(s.status)
        ? ` ${temporary} deliveries failed for now: --retry-failed sends them again.`
        : ''),
  );
  return out;
}

/**
 * Polls the digest's counters until it settles (or is held), with a progress bar on a terminal.
 * The first SMTP error of each kind is shown the moment it is recorded. With `jobId`, the
 * build job is waited for first, so a retry's digest is not read as settled before it reopens.
 */
async function waitWithProgress(
  services: Services,
  date: string,
  jobId?: string,
): Promise<DigestListItem | undefined> {
  const bar = process.stdout.isTTY
    ? new SingleBar(
        {
          format:
            'sending {bar} {value}/{total} | sent {sent} failed {failed} skipped {skipped} {error}',
        },
        Presets.shades_classic,
      )
    : undefined;
  let started = false;
  const shown = new Set<string>();
  let lastError = '';
  for (;;) {
    const job = jobId ? await services.queues.build.getJob(jobId) : undefined;
    const state = job ? await job.getState() : 'completed';
    if (state === 'failed') throw new Error(`the build failed: ${job?.failedReason}`);
    const result = state === 'completed' ? (job?.returnvalue as { status?: string }) : undefined;
    if (result?.status === 'nothing') {
      console.log(`No posts for the digest of ${date}: nothing was sent.`);
      return undefined;
    }
    const s = await services.digestService.summary(date);
    if (s) {
      for (const [kind, e] of Object.entries(s.errors)) {
        if (shown.has(kind)) continue;
        shown.add(kind);
        lastError = describeFirstError(kind, e);
        if (!bar) console.log(lastError);
      }
      const c = s.counters;
      const done = c.sent + c.failed + c.skipped;
      const payload = { sent: c.sent, failed: c.failed, skipped: c.skipped, error: lastError };
      if (bar && !started && c.recipients > 0) {
        bar.start(c.recipients, done, payload);
        started = true;
      }
      bar?.setTotal(Math.max(c.recipients, 1));
      bar?.update(done, payload);
      if (s.status === 'held') {
        bar?.stop();
        console.log(
          `Digest ${date} is held: ${s.reason}. Nothing was sent; it is tried again with backoff.`,
        );
        return s;
      }
      if (SETTLED_STATUSES.includes(s.status) && state === 'completed') {
        bar?.stop();
        return s;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `send --now` on a terminal asks first (it sends to every zone at once); elsewhere it needs --yes. */
async function confirmAllZones(frequency: string, date: string | undefined): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new ValidationError(
      'CONFIRMATION_NEEDED',
      '--now sends to every zone at once: give --yes to do it without a terminal to ask on.',
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(
      `Send the ${frequency} digest${date ? ` of ${date}` : ''} to every zone now, not each at its own time? [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function describe(r: DigestListItem): string {
  const c = r.counters;
  const failures = r.failures.length
    ? `  failures ${r.failures.map((g) => `${g.cause}:${g.code ?? 'no reply'}×${g.count}`).join(', ')}`
    : '';
  return `${r.date}  ${r.status.padEnd(18)} posts ${r.posts}  recipients ${c.recipients}  sent ${c.sent}  failed ${c.failed}  skipped ${c.skipped}  pending ${c.pending}${r.subject ? `  "${r.subject}"` : ''}${r.reason ? `  (${r.reason})` : ''}${failures}`;
}

import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfigOrExit } from '../config.js';
import type { DigestListItem } from '../digests/digest-service.js';
import { formatUpcomingSends, upcomingSends } from '../digests/schedule-listing.js';
import { ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { startWorkers } from '../../workers/start-workers.js';
import { withServices, type OpenServices } from './open-services.js';

const FINAL = new Set(['sent', 'sent_with_failures', 'empty']);

/**
 * `send`, `runs`, `test-send`, `schedule` and `worker`: thin calls into the digest service and
 * the schedule. `send --wait` with no worker running starts the workers in this process (the
 * CLI is an entry point: it may).
 */
export function registerDigestCommands(program: Command, open: OpenServices) {
  program
    .command('send')
    .description(
      'build and send a digest now, by the same path as the scheduler (idempotent per date)',
    )
    .option('--date <date>', 'send date YYYY-MM-DD (default: the next scheduled digest)')
    .option('--wait', 'show progress until it is done; exit 1 if any delivery failed')
    .action((opts: { date?: string; wait?: boolean }) =>
      withServices(open, (services) => send(services, opts)),
    );

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

  program
    .command('test-send <email>')
    .description('send one copy marked [Test] to <email>, outside the ledger')
    .option('--date <date>', 'send date YYYY-MM-DD (default: the next scheduled digest)')
    .action((email: string, opts: { date?: string }) =>
      withServices(open, async (services) => {
        const date = opts.date ?? (await services.digestService.next()).date;
        await services.digestService.testSend(date, email);
        console.log(
          `Sent a test copy of the digest of ${date} to ${email} (${services.mailer().kind}).`,
        );
      }),
    );

  program
    .command('schedule')
    .description('the next scheduled sends: date, time in UTC and in DIGEST_TZ, and each window')
    .option('--count <n>', 'how many sends', '5')
    .option('--after <instant>', 'list the sends after this ISO instant instead of now')
    .option('--json', 'machine-readable output')
    .action((opts: { count: string; after?: string; json?: boolean }) => {
      const count = Number(opts.count);
      if (!Number.isInteger(count) || count < 1 || count > 1000) {
        throw new ValidationError('COUNT_INVALID', `--count "${opts.count}" is not 1..1000`);
      }
      const after = opts.after === undefined ? new Date() : new Date(opts.after);
      if (Number.isNaN(after.getTime())) {
        throw new ValidationError('INSTANT_INVALID', `--after "${opts.after}" is not an instant`);
      }
      const { cron, tz } = loadConfigOrExit().digest;
      const sends = upcomingSends({ cron, tz }, after, count);
      console.log(
        opts.json
          ? JSON.stringify(sends, null, 2)
          : formatUpcomingSends(sends, { cron, tz }).join('\n'),
      );
    });

  program
    .command('worker')
    .description('run the ingest, build and send workers (as many processes as you like)')
    .action(async () => {
      await import('../../workers/main.js');
    });
}

/** `send`: triggers the build; with `--wait`, follows it to the end (workers in-process if none). */
async function send(services: Services, opts: { date?: string; wait?: boolean }): Promise<void> {
  let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
  try {
    const { date, created } = await services.digestService.trigger(opts.date);
    console.log(
      created
        ? `Digest ${date}: queued to build and send.`
        : `Digest ${date} exists already: nothing new is sent.`,
    );
    if (!opts.wait) return;
    if ((await services.queues.build.getWorkersCount()) === 0) {
      console.log('No worker is running: sending from this process.');
      workers = await startWorkers(services, { schedules: false });
    }
    const final = await waitWithProgress(services, date);
    console.log(describe(final));
    if (final.counters.failed > 0) process.exitCode = 1;
  } finally {
    await workers?.close();
  }
}

/** Polls the digest's counters until it is done, with a progress bar on a terminal. */
async function waitWithProgress(services: Services, date: string): Promise<DigestListItem> {
  const bar = process.stdout.isTTY
    ? new SingleBar(
        { format: 'sending {bar} {value}/{total} | sent {sent} failed {failed} skipped {skipped}' },
        Presets.shades_classic,
      )
    : undefined;
  let started = false;
  for (;;) {
    const s = await services.digestService.summary(date);
    if (s) {
      const c = s.counters;
      const done = c.sent + c.failed + c.skipped;
      if (bar && !started && c.recipients > 0) {
        bar.start(c.recipients, done, { sent: c.sent, failed: c.failed, skipped: c.skipped });
        started = true;
      }
      bar?.setTotal(Math.max(c.recipients, 1));
      bar?.update(done, { sent: c.sent, failed: c.failed, skipped: c.skipped });
      if (FINAL.has(s.status)) {
        bar?.stop();
        return s;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function describe(r: DigestListItem): string {
  const c = r.counters;
  return `${r.date}  ${r.status.padEnd(18)} posts ${r.posts}  recipients ${c.recipients}  sent ${c.sent}  failed ${c.failed}  skipped ${c.skipped}  pending ${c.pending}${r.subject ? `  "${r.subject}"` : ''}`;
}

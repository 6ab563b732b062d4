import type { Queue } from 'bullmq';
import { SmtpPreflightError } from '../mail/preflight.js';
import { buildJobFrequency, jobIds, type BuildJob } from '../queues.js';
import { retryFailedDeliveries, type RetryFailedDeps } from '../delivery/retry-failed.js';
import type { SubscriberGroups } from '../subscribers/subscriber-groups.js';
import { buildDigest, CATCH_UP_MS, type BuildDeps, type BuildResult } from './build-digest.js';
import { isBuilt } from './digest.js';
import { editionId, type Edition } from './edition.js';
import { editionWindow } from './edition-window.js';
import { digestKey, fanOutSlot, type FanOutDeps } from './fan-out.js';
import {
  editionSlots,
  scheduledZones,
  slotZones,
  zonePlan,
  type Slot,
  type ZonePlan,
  type ZoneSchedule,
} from './slots.js';
import { zoneSubscribers } from './schedule-listing.js';
import type { ZoneProgressStore } from './zone-progress.js';

/** A held digest is retried for at least this long after its first failed preflight. */
export const HOLD_FOR_MS = 24 * 3_600_000;
/** The longest wait between two preflights of a held digest. */
export const HOLD_MAX_DELAY_MS = 15 * 60_000;

export type BuildJobDeps = Omit<BuildDeps, 'schedules'> &
  Omit<FanOutDeps, 'groups' | 'zones' | 'log' | 'digests'> & {
    digests: BuildDeps['digests'] & FanOutDeps['digests'];
    /** The frequencies, their crons and the zones rule (config.digest). */
    schedule: ZoneSchedule;
    groups: Pick<SubscriberGroups, 'counts' | 'page'>;
    zones: Pick<ZoneProgressStore, 'plan' | 'mark' | 'allSettled'>;
    /** Where a send by hand leaves the slot jobs of its later zones. */
    buildQueue: Pick<Queue<BuildJob>, 'add'>;
    retry: Omit<RetryFailedDeps, 'digests' | 'sendQueue' | 'batchSize' | 'log'>;
    /** PREFLIGHT_RETRY_DELAY_MS: the first wait of a held digest; it doubles up to 15 minutes. */
    holdDelayMs: number;
  };

export type BuildJobOutcome =
  | { result: BuildResult | { date: string; status: 'held' | 'retrying'; reason?: string } }
  | { retryInMs: number };

/**
 * The wait before the next preflight of a held digest (exponential from `baseMs`, capped), or
 * undefined once it has been held for HOLD_FOR_MS: then it stays held until sent by hand.
 */
export function holdDelay(input: {
  heldSinceMs: number;
  holds: number;
  nowMs: number;
  baseMs: number;
}): number | undefined {
  if (input.nowMs - input.heldSinceMs >= HOLD_FOR_MS) return undefined;
  const exp = input.baseMs * 2 ** Math.min(Math.max(input.holds - 1, 0), 30);
  return Math.min(exp, HOLD_MAX_DELAY_MS);
}

/**
 * Runs one build job for an edition: a slot (`scheduledAt`: build the edition if not built,
 * then fan out that instant's zones), a send by hand (build, then every zone whose instant has
 * passed, or all of them with `now`; a later zone keeps a slot job of its own), or, with
 * `retryFailed`, the re-send of its temporary failures. A failed SMTP preflight holds the
 * digest: status `held` with the cause, logged at error level, and the job asks to run again
 * later (`retryInMs`) without using up an attempt. A job without a date is the scheduler's:
 * `fallbackDate` names its occurrence; one without a frequency (an earlier version's) is the
 * weekly edition's (buildJobFrequency).
 */
export async function runBuildJob(
  deps: BuildJobDeps,
  data: BuildJob,
  fallbackDate: () => string,
): Promise<BuildJobOutcome> {
  const edition: Edition = {
    frequency: buildJobFrequency(data),
    date: data.date ?? fallbackDate(),
  };
  const date = digestKey(edition);
  const trigger = data.trigger ?? (data.date ? 'manual' : 'schedule');
  const log = deps.log.child({ digest: editionId(edition) });
  if (data.retryFailed) {
    // A failed preflight throws: BullMQ's own retries of the job (nothing was reopened).
    await deps.preflight?.();
    const { retried } = await retryFailedDeliveries(
      {
        ...deps.retry,
        digests: deps.digests,
        sendQueue: deps.sendQueue,
        batchSize: deps.batchSize,
        log,
      },
      date,
      editionId(edition),
    );
    return { result: { date, status: 'retrying', reason: `${retried} deliveries` } };
  }
  const run = { ...deps, log };
  try {
    if (data.scheduledAt)
      return { result: await runSlot(run, edition, new Date(data.scheduledAt), trigger) };
    return { result: await runByHand(run, edition, data.now === true) };
  } catch (err) {
    if (!(err instanceof SmtpPreflightError)) throw err;
    return hold(run, edition, err);
  }
}

async function currentPlan(
  deps: BuildJobDeps,
): Promise<{ plan: ZonePlan; counts: Map<string, number> }> {
  const counts = await deps.groups.counts();
  return { plan: zonePlan(deps.schedule, counts.keys()), counts };
}

/** Builds the edition if it is not built (README guarantees 9 and 10 there), and plans its zones. */
async function ensureBuilt(
  deps: BuildJobDeps,
  edition: Edition,
  opts: { trigger: 'manual' | 'schedule'; scheduledAt?: Date },
  planned: { plan: ZonePlan; counts: Map<string, number> },
): Promise<BuildResult> {
  const built = await buildDigest({ ...deps, schedules: deps.schedule }, digestKey(edition), opts);
  if (built.status !== 'built') return built;
  const slots = editionSlots(edition, deps.schedule, planned.plan);
  await deps.zones.plan(
    edition,
    slots.flatMap((s) =>
      s.zones.map((zone) => ({
        zone,
        at: s.at,
        subscribers: zoneSubscribers(planned.plan, planned.counts, edition.frequency, zone),
      })),
    ),
  );
  return built;
}

/**
 * One slot: a scheduled one more than CATCH_UP_MS late (and not held) is skipped, its zones
 * recorded so (the edition too when it is not built: README guarantee 10); otherwise the
 * edition is built if it is not, and this instant's zones are fanned out.
 */
async function runSlot(
  deps: BuildJobDeps,
  edition: Edition,
  at: Date,
  trigger: 'manual' | 'schedule',
): Promise<BuildResult> {
  const now = (deps.now ?? (() => new Date()))();
  const planned = await currentPlan(deps);
  const zones = zonesAt(deps, edition, at, trigger, planned.plan);
  const date = digestKey(edition);
  const summary = await deps.digests.getSummary(date);
  const late = trigger === 'schedule' && now.getTime() - at.getTime() > CATCH_UP_MS;
  if (late && summary && isBuilt(summary) && summary.status !== 'held') {
    const reason = 'missed: every process was down';
    await deps.zones.mark(edition, zones, 'skipped', reason);
    deps.log.warn({ at: at.toISOString(), zones, reason }, 'slot skipped');
    return { date, status: 'skipped', recipients: 0, reason };
  }
  const built = await ensureBuilt(deps, edition, { trigger, scheduledAt: at }, planned);
  if (built.status !== 'built') {
    await deps.zones.mark(edition, zones, 'skipped', built.reason);
    return built;
  }
  const out = await fanOutSlot(deps, { edition, at, zones }, planned.plan);
  return { date, status: 'sending', recipients: out.recipients };
}

/**
 * The zones a slot job sends to. A scheduled job whose instant is no slot of the edition (one
 * left by an earlier version, or a schedule changed since) sends the zones whose time had come
 * by then, or DIGEST_TZ's: it is never dropped without a word.
 */
function zonesAt(
  deps: BuildJobDeps,
  edition: Edition,
  at: Date,
  trigger: 'manual' | 'schedule',
  plan: ZonePlan,
): string[] {
  if (trigger === 'manual') return slotZones(edition, at, deps.schedule, plan);
  const zones = scheduledZones(edition, at, deps.schedule, plan);
  if (zones.length > 0) return zones;
  const due = editionSlots(edition, deps.schedule, plan).filter((s) => s.at <= at);
  return due.length > 0 ? due.flatMap((s) => s.zones) : [deps.schedule.tz];
}

/**
 * A send by hand: builds now, fans out each zone whose instant has passed (every zone with
 * `all`), and leaves a slot job, due at its instant, for each later one.
 */
async function runByHand(deps: BuildJobDeps, edition: Edition, all: boolean): Promise<BuildResult> {
  const now = (deps.now ?? (() => new Date()))();
  const planned = await currentPlan(deps);
  const built = await ensureBuilt(deps, edition, { trigger: 'manual' }, planned);
  if (built.status !== 'built') return built;
  let recipients = 0;
  const later: Slot[] = [];
  for (const slot of editionSlots(edition, deps.schedule, planned.plan)) {
    if (!all && slot.at.getTime() > now.getTime()) later.push(slot);
    else
      recipients += (
        await fanOutSlot(deps, { edition, at: slot.at, zones: slot.zones }, planned.plan)
      ).recipients;
  }
  for (const s of later) {
    await deps.buildQueue.add(
      'manual-slot',
      { frequency: s.frequency, date: s.date, trigger: 'manual', scheduledAt: s.at.toISOString() },
      {
        jobId: jobIds.manualSlot(s.frequency, s.date, s.at.getTime()),
        delay: s.at.getTime() - now.getTime(),
      },
    );
  }
  if (later.length)
    deps.log.info(
      { later: later.map((s) => s.at.toISOString()) },
      'later zones wait for their time',
    );
  return { date: digestKey(edition), status: 'sending', recipients };
}

/** Records the digest held with the preflight's cause, and when to try it again (if at all). */
async function hold(
  deps: BuildJobDeps,
  edition: Edition,
  err: SmtpPreflightError,
): Promise<BuildJobOutcome> {
  const now = deps.now ?? (() => new Date());
  const { log } = deps;
  const date = digestKey(edition);
  await deps.digests.markHeld(editionWindow(edition, deps.schedule), err.reason, now());
  const s = await deps.digests.getSummary(date);
  const delay = holdDelay({
    heldSinceMs: s?.heldSince ? Date.parse(s.heldSince) : now().getTime(),
    holds: await deps.digests.holds(date),
    nowMs: now().getTime(),
    baseMs: deps.holdDelayMs,
  });
  if (delay === undefined) {
    log.error(
      { reason: err.reason, heldSince: s?.heldSince },
      'SMTP preflight failed for 24 hours: digest stays held; `digest send --date` sends it',
    );
    return { result: { date, status: 'held', reason: err.reason } };
  }
  log.error(
    { reason: err.reason, retryInMs: delay },
    'SMTP preflight failed: digest held, nothing sent',
  );
  return { retryInMs: delay };
}

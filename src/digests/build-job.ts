import { SmtpPreflightError } from '../mail/preflight.js';
import type { BuildJob } from '../queues.js';
import { retryFailedDeliveries, type RetryFailedDeps } from '../delivery/retry-failed.js';
import { buildDigest, type BuildDeps, type BuildResult } from './build-digest.js';
import { digestWindow } from './digest-window.js';

/** A held digest is retried for at least this long after its first failed preflight. */
export const HOLD_FOR_MS = 24 * 3_600_000;
/** The longest wait between two preflights of a held digest. */
export const HOLD_MAX_DELAY_MS = 15 * 60_000;

export type BuildJobDeps = BuildDeps & {
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
 * Runs one build job: builds (or, with `retryFailed`, re-sends the temporary failures of) one
 * date. A failed SMTP preflight holds the digest: status `held` with the cause, logged at error
 * level, and the job asks to run again later (`retryInMs`) without using up an attempt. A job
 * without a date is the scheduler's: `fallbackDate` names its occurrence.
 */
export async function runBuildJob(
  deps: BuildJobDeps,
  data: BuildJob,
  fallbackDate: () => string,
): Promise<BuildJobOutcome> {
  const date = data.date ?? fallbackDate();
  const trigger = data.trigger ?? (data.date ? 'manual' : 'schedule');
  const log = deps.log.child({ digest: date });
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
    );
    return { result: { date, status: 'retrying', reason: `${retried} deliveries` } };
  }
  try {
    const scheduledAt = data.scheduledAt ? new Date(data.scheduledAt) : undefined;
    return { result: await buildDigest(deps, date, { trigger, scheduledAt }) };
  } catch (err) {
    if (!(err instanceof SmtpPreflightError)) throw err;
    return hold(deps, date, err);
  }
}

/** Records the digest held with the preflight's cause, and when to try it again (if at all). */
async function hold(
  deps: BuildJobDeps,
  date: string,
  err: SmtpPreflightError,
): Promise<BuildJobOutcome> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ digest: date });
  await deps.digests.markHeld(digestWindow(date, deps.schedule), err.reason, now());
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

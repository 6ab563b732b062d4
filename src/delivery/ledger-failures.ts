import type { FailureCause } from '../digests/digest.js';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';

/*
 * Failed deliveries in the ledger (src/delivery/ledger.ts) and their retry by hand. A failed
 * entry is `f:<code>:<ms>:<cause>` (cause t temporary, p permanent, b bounce; entries written
 * before causes were recorded have none). Each failure is also counted in
 * `keys.digestFailures(date)` under "<cause>:<code|none>", so `runs --json` can group them.
 */

/** The state of a delivery a retry by hand reopened; the ordinary claim takes it. */
const REOPENED = 'r:retry';

const CAUSE_LETTER: Record<FailureCause, string> = { temporary: 't', permanent: 'p', bounce: 'b' };

/** The failure-group field of one failure. */
export function failureGroup(cause: FailureCause, code: number | undefined): string {
  return `${cause}:${code ?? 'none'}`;
}

/** The ledger state of a delivery that failed for good (for this pass). */
export function failedState(code: number | undefined, cause: FailureCause, now: number): string {
  return `f:${code ?? 0}:${now}:${CAUSE_LETTER[cause]}`;
}

/**
 * KEYS: ledger, digest, failures. ARGV: id, state, group.
 * Moves a claimed entry to failed and counts it in the digest and in its group; a final entry
 * is left alone (the same compare-and-set as the ledger's finish).
 */
export const failScript = luaCommand(new URL('./lua/ledger-fail.lua', import.meta.url), 3);

/**
 * KEYS: ledger, digest, failures. ARGV: ids.
 * Reopens the deliveries among ARGV that failed with a temporary cause (network, 4xx, attempts
 * used up): each becomes `r:retry` (claimable again, so the ordinary send path, with its status
 * check and claim, handles it), and leaves the failed counters. Sent, bounced, permanently
 * refused and already reopened entries are left alone, so two retries at once reopen each
 * delivery once. A settled digest goes back to `sending` until the retried ones are accounted
 * for. Returns the ids reopened.
 */
export const reopenScript = luaCommand(new URL('./lua/ledger-reopen.lua', import.meta.url), 3);

/** True for a failed ledger state a retry by hand may reopen (the script decides for good). */
export function isTemporaryFailure(state: string): boolean {
  const m = /^f:(\d+):\d+(?::([tpb]))?$/.exec(state);
  if (!m) return false;
  if (m[2]) return m[2] === 't';
  const code = Number(m[1]);
  return code === 0 || (code >= 400 && code < 500);
}

/** The ledger's failure operations, on one Redis. */
export function createLedgerFailures(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  const keysFor = (date: string) => [
    keys.ledger(date),
    keys.digest(date),
    keys.digestFailures(date),
  ];
  return {
    /** Records a claimed delivery as failed with its cause; false if it was not claimed. */
    async fail(
      date: string,
      id: number,
      code: number | undefined,
      cause: FailureCause,
      now = Date.now(),
    ): Promise<boolean> {
      const state = failedState(code, cause, now);
      const out = await failScript(redis, keysFor(date), [id, state, failureGroup(cause, code)]);
      return out === 1;
    },

    /**
     * One HSCAN page of the ledger: the ids whose failure is temporary, those reopened by a
     * retry and not claimed since (`r:retry`), and the next cursor ('0' at the end).
     */
    async temporaryFailures(
      date: string,
      cursor: string,
      count = 1000,
    ): Promise<{ cursor: string; ids: number[]; reopened: number[] }> {
      const [next, flat] = await redis.hscan(keys.ledger(date), cursor, 'COUNT', count);
      const ids: number[] = [];
      const reopened: number[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const state = flat[i + 1]!;
        if (isTemporaryFailure(state)) ids.push(Number(flat[i]));
        else if (state === REOPENED) reopened.push(Number(flat[i]));
      }
      return { cursor: next, ids, reopened };
    },

    /** Reopens the temporary failures among `ids` (see reopenScript); returns those reopened. */
    async reopen(date: string, ids: number[]): Promise<number[]> {
      if (ids.length === 0) return [];
      const out = (await reopenScript(redis, keysFor(date), ids)) as (string | number)[];
      return out.map(Number);
    },
  };
}

export type LedgerFailures = ReturnType<typeof createLedgerFailures>;

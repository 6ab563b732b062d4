import type { FailureCause } from '../digests/digest.js';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import { createLedgerFailures } from './ledger-failures.js';

/**
 * The ledger: one hash per edition (`keys.ledger(id)`, id `weekly/2026-12-07`), subscriber id
 * -> delivery state.
 *
 *   c:<leaseUntilMs>:<owner>  claimed by a sender, before SMTP (README guarantee 2)
 *   r:<code>                  a transient failure released the claim; claimable again
 *   s:<code>:<ms>             sent (the SMTP server accepted it)
 *   f:<code>:<ms>:<cause>     failed (cause t/p/b; see ledger-failures.ts, which also reopens
 *                             temporary failures for a retry by hand)
 *   k:<reason>                skipped: not confirmed (or paused, or of another frequency) at
 *                             send time (README guarantee 4), or `k:stale`: their cursor moved
 *                             since their post set was read (their posts come next time)
 *   o:<posts>                 rolled over: fewer than DIGEST_MIN_POSTS posts; not sent, cursor
 *                             unchanged, so the posts go in their next digest
 *
 * `keys.ledgerVariant(id)` keeps the variant each claim carries, so a claim taken over after a
 * crash, a released one and a reopened failure resend the same posts (README guarantee 3).
 *
 * Every transition to a final state increments the edition's counter in the same script, so a
 * counter can never count one subscriber twice. A claim whose lease has expired (its worker
 * died) is taken over by the next claim. The only duplicate window is a crash between the SMTP
 * server's 250 and its `sent` record: at most the messages in flight at that moment.
 */

export type ClaimResult = 'claimed' | 'done' | 'held' | 'skipped' | 'stale' | 'rolled';

/** One recipient as the sender read them: their post set's variant, from their cursor. */
export interface ClaimEntry {
  id: number;
  /** Confirmed, not paused, of the edition's frequency, when the sender read them. */
  eligible: boolean;
  /** The cursor their variant was computed from (undefined: none stored). */
  cursor?: number;
  /** Their variant's id; ignored for a claim taken again (the stored one stands). */
  variant: string;
  /** Their set has fewer posts than DIGEST_MIN_POSTS: the number of posts, to roll over. */
  rolled?: number;
  /**
   * With `rolled` and no cursor stored: the cursor their set started from, stored so that the
   * next edition (whose seqFrom is later) still carries the posts rolled over.
   */
  rollCursor?: number;
}

/**
 * KEYS: ledger, digest, ledgerVariant, then one subscriber hash per entry.
 * ARGV: now, leaseUntil, owner, seqTo ('' for an edition of an earlier version: no cursor),
 * then per entry (id, eligible 1|0, expected cursor|'', variant, rolled posts|'', rollCursor|'').
 *
 * A first claim moves the subscriber's cursor to seqTo by compare-and-set: only while it still
 * equals the cursor the variant was computed from, and never backwards. Status is read again
 * here, atomically with the claim (README guarantee 4).
 * Returns per entry: c:<variant> claimed, d done already, h held by a live lease, k skipped
 * now, x stale cursor (skipped), o rolled over.
 */
const claimScript = luaCommand(new URL('./lua/ledger-claim.lua', import.meta.url), 'variable');

/**
 * KEYS: ledger, digest. ARGV: counter field ('' for none), then pairs (id, final state).
 * Moves each claimed entry to its final state and counts the ones moved; a final entry is left
 * alone. Returns 1 or 0 per id.
 */
const finishScript = luaCommand(new URL('./lua/ledger-finish.lua', import.meta.url), 2);

/** KEYS: ledger. ARGV: id, owner, state. Releases this owner's claim after a transient failure. */
const releaseScript = luaCommand(new URL('./lua/ledger-release.lua', import.meta.url), 1);

const CODES: Record<string, ClaimResult> = {
  c: 'claimed',
  d: 'done',
  h: 'held',
  k: 'skipped',
  x: 'stale',
  o: 'rolled',
};

export function createLedger(deps: { redis: RedisClient; keys: Keys; leaseMs: number }) {
  const { redis, keys, leaseMs } = deps;
  const failures = createLedgerFailures({ redis, keys });

  return {
    leaseMs,
    failures,

    /**
     * Claims a batch in one round trip, moving each first claim's cursor to `seqTo` (undefined:
     * an edition of an earlier version, no cursor). Ids that are not eligible any more
     * (unsubscribed, paused, gone) are recorded as skipped, a stale cursor as `stale`, a set
     * under DIGEST_MIN_POSTS as `rolled`. A claimed entry comes with the variant it carries
     * ('' for an entry claimed before variants were recorded).
     */
    async claim(
      edition: string,
      owner: string,
      seqTo: number | undefined,
      entries: readonly ClaimEntry[],
      now = Date.now(),
    ): Promise<{ result: ClaimResult; variant?: string }[]> {
      const args: (string | number)[] = [now, now + leaseMs, owner, seqTo ?? ''];
      for (const e of entries)
        args.push(
          e.id,
          e.eligible ? 1 : 0,
          e.cursor ?? '',
          e.variant,
          e.rolled ?? '',
          e.rollCursor ?? '',
        );
      const out = (await claimScript(
        redis,
        [
          keys.ledger(edition),
          keys.digest(edition),
          keys.ledgerVariant(edition),
          ...entries.map((e) => keys.subscriber(e.id)),
        ],
        args,
      )) as string[];
      return out.map((c) =>
        c.startsWith('c:') ? { result: 'claimed', variant: c.slice(2) } : { result: CODES[c]! },
      );
    },

    /** The variant a delivery's claim carried ('' / undefined: none recorded). */
    async variantOf(edition: string, id: number): Promise<string | undefined> {
      return (await redis.hget(keys.ledgerVariant(edition), String(id))) ?? undefined;
    },

    async sent(edition: string, id: number, code: number, now = Date.now()): Promise<boolean> {
      return (await this.sentMany(edition, [{ id, code }], now))[0]!;
    },

    /**
     * Records several SMTP 250s in one round trip (the batch sender groups the replies that
     * arrive while the previous write is in flight). One boolean per entry: false where the
     * entry was not claimed any more (already final).
     */
    async sentMany(
      edition: string,
      entries: readonly { id: number; code: number }[],
      now = Date.now(),
    ): Promise<boolean[]> {
      const args: (string | number)[] = ['sent'];
      for (const e of entries) args.push(e.id, `s:${e.code}:${now}`);
      const out = (await finishScript(
        redis,
        [keys.ledger(edition), keys.digest(edition)],
        args,
      )) as number[];
      return out.map((n) => n === 1);
    },

    /** Records a claimed delivery as failed, with its cause (temporary ones may be retried). */
    async failed(
      edition: string,
      id: number,
      code: number | undefined,
      cause: FailureCause,
      now = Date.now(),
    ): Promise<boolean> {
      return failures.fail(edition, id, code, cause, now);
    },

    /** Gives a claim back after a transient failure, so the job's retry can claim it again. */
    async release(
      edition: string,
      id: number,
      owner: string,
      code: number | undefined,
    ): Promise<void> {
      await releaseScript(redis, [keys.ledger(edition)], [id, owner, `r:${code ?? 0}`]);
    },

    async state(edition: string, id: number): Promise<string | null> {
      return redis.hget(keys.ledger(edition), String(id));
    },

    async size(edition: string): Promise<number> {
      return redis.hlen(keys.ledger(edition));
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;

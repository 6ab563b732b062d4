import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';

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

const CODES: Record<string, ClaimResult> = {
  c: 'claimed',
  d: 'done',
  h: 'held',
  k: 'skipped',
  x: 'stale',
  o: 'rolled',
};

/** The ledger's claims and the variants they carry (src/delivery/ledger.ts). */
export function createLedgerClaims(deps: { redis: RedisClient; keys: Keys; leaseMs: number }) {
  const { redis, keys, leaseMs } = deps;

  return {
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
  };
}

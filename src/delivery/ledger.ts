import type { Keys, RedisClient } from '../redis.js';
import { createLedgerClaims } from './ledger-claims.js';
import { createLedgerFailures } from './ledger-failures.js';
import { createLedgerRecords } from './ledger-records.js';

export type { ClaimEntry, ClaimResult } from './ledger-claims.js';

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
 *
 * The ledger's methods come in groups, each built in its own module: claims before SMTP
 * (`ledger-claims.ts`), records after it and reads by entry (`ledger-records.ts`), failures and
 * their retry by hand (`ledger-failures.ts`).
 */
export function createLedger(deps: { redis: RedisClient; keys: Keys; leaseMs: number }) {
  const { redis, keys, leaseMs } = deps;
  const failures = createLedgerFailures({ redis, keys });

  return {
    leaseMs,
    failures,
    ...createLedgerClaims(deps),
    ...createLedgerRecords({ redis, keys, failures }),
  };
}

export type Ledger = ReturnType<typeof createLedger>;

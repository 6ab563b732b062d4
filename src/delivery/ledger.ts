import type { FailureCause } from '../digests/digest.js';
import { defineScript, type Keys, type RedisClient } from '../redis.js';
import { createLedgerFailures } from './ledger-failures.js';

/**
 * The ledger: one hash per digest (`keys.ledger(date)`), subscriber id -> delivery state.
 *
 *   c:<leaseUntilMs>:<owner>  claimed by a sender, before SMTP (README guarantee 2)
 *   r:<code>                  a transient failure released the claim; claimable again
 *   s:<code>:<ms>             sent (the SMTP server accepted it)
 *   f:<code>:<ms>:<cause>     failed (cause t/p/b; see ledger-failures.ts, which also reopens
 *                             temporary failures for a retry by hand)
 *   k:<reason>                skipped: not confirmed (or paused) at send time (README guarantee 4)
 *
 * Every transition to a final state increments the digest's counter in the same script, so a
 * counter can never count one subscriber twice. A claim whose lease has expired (its worker
 * died) is taken over by the next claim. The only duplicate window is a crash between the SMTP
 * server's 250 and its `sent` record: at most the messages in flight at that moment.
 */

export type ClaimResult = 'claimed' | 'done' | 'held' | 'skipped';

/**
 * KEYS: ledger, digest. ARGV: now, leaseUntil, owner, then pairs (id, eligible 1|0).
 * Returns one code per id: c claimed, d done already, h held by a live lease, k skipped now.
 */
const claimScript = defineScript(`
local now = tonumber(ARGV[1])
local out = {}
local skipped = 0
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  local eligible = ARGV[i + 1] == '1'
  local cur = redis.call('HGET', KEYS[1], id)
  local kind = cur and string.sub(cur, 1, 1)
  local free = (not cur) or kind == 'r'
  if kind == 'c' then
    local lease = tonumber(string.match(cur, '^c:(%d+):'))
    if lease and lease < now then free = true end
  end
  if not free then
    if kind == 'c' then out[#out + 1] = 'h' else out[#out + 1] = 'd' end
  elseif eligible then
    redis.call('HSET', KEYS[1], id, 'c:' .. ARGV[2] .. ':' .. ARGV[3])
    out[#out + 1] = 'c'
  elseif kind == 'c' then
    -- An expired claim of someone no longer eligible: the dead worker may have sent it; it is
    -- final now, and counted as skipped so the digest can complete.
    redis.call('HSET', KEYS[1], id, 'k:expired')
    skipped = skipped + 1
    out[#out + 1] = 'k'
  else
    redis.call('HSET', KEYS[1], id, 'k:status')
    skipped = skipped + 1
    out[#out + 1] = 'k'
  end
end
if skipped > 0 then redis.call('HINCRBY', KEYS[2], 'skipped', skipped) end
return out
`);

/**
 * KEYS: ledger, digest. ARGV: counter field ('' for none), then pairs (id, final state).
 * Moves each claimed entry to its final state and counts the ones moved; a final entry is left
 * alone. Returns 1 or 0 per id.
 */
const finishScript = defineScript(`
local out = {}
local moved = 0
for i = 2, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur and string.sub(cur, 1, 1) == 'c' then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    moved = moved + 1
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if moved > 0 and ARGV[1] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[1], moved) end
return out
`);

/** KEYS: ledger. ARGV: id, owner, state. Releases this owner's claim after a transient failure. */
const releaseScript = defineScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur or string.sub(cur, 1, 1) ~= 'c' then return 0 end
if not string.find(cur, ':' .. ARGV[2], 1, true) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

const CODES: Record<string, ClaimResult> = { c: 'claimed', d: 'done', h: 'held', k: 'skipped' };

export function createLedger(deps: { redis: RedisClient; keys: Keys; leaseMs: number }) {
  const { redis, keys, leaseMs } = deps;
  const failures = createLedgerFailures({ redis, keys });

  return {
    leaseMs,
    failures,

    /**
     * Claims a batch in one round trip. Ids that are not eligible any more (unsubscribed, paused,
     * gone) are recorded as skipped instead.
     */
    async claim(
      date: string,
      owner: string,
      entries: { id: number; eligible: boolean }[],
      now = Date.now(),
    ): Promise<ClaimResult[]> {
      const args: (string | number)[] = [now, now + leaseMs, owner];
      for (const e of entries) args.push(e.id, e.eligible ? 1 : 0);
      const out = (await claimScript(
        redis,
        [keys.ledger(date), keys.digest(date)],
        args,
      )) as string[];
      return out.map((c) => CODES[c]!);
    },

    async sent(date: string, id: number, code: number, now = Date.now()): Promise<boolean> {
      return (await this.sentMany(date, [{ id, code }], now))[0]!;
    },

    /**
     * Records several SMTP 250s in one round trip (the batch sender groups the replies that
     * arrive while the previous write is in flight). One boolean per entry: false where the
     * entry was not claimed any more (already final).
     */
    async sentMany(
      date: string,
      entries: readonly { id: number; code: number }[],
      now = Date.now(),
    ): Promise<boolean[]> {
      const args: (string | number)[] = ['sent'];
      for (const e of entries) args.push(e.id, `s:${e.code}:${now}`);
      const out = (await finishScript(
        redis,
        [keys.ledger(date), keys.digest(date)],
        args,
      )) as number[];
      return out.map((n) => n === 1);
    },

    /** Records a claimed delivery as failed, with its cause (temporary ones may be retried). */
    async failed(
      date: string,
      id: number,
      code: number | undefined,
      cause: FailureCause,
      now = Date.now(),
    ): Promise<boolean> {
      return failures.fail(date, id, code, cause, now);
    },

    /** Gives a claim back after a transient failure, so the job's retry can claim it again. */
    async release(
      date: string,
      id: number,
      owner: string,
      code: number | undefined,
    ): Promise<void> {
      await releaseScript(redis, [keys.ledger(date)], [id, owner, `r:${code ?? 0}`]);
    },

    async state(date: string, id: number): Promise<string | null> {
      return redis.hget(keys.ledger(date), String(id));
    },

    async size(date: string): Promise<number> {
      return redis.hlen(keys.ledger(date));
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;

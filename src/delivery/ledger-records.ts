import type { FailureCause } from '../digests/digest.js';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import type { LedgerFailures } from './ledger-failures.js';

/**
 * KEYS: ledger, digest. ARGV: counter field ('' for none), then pairs (id, final state).
 * Moves each claimed entry to its final state and counts the ones moved; a final entry is left
 * alone. Returns 1 or 0 per id.
 */
const finishScript = luaCommand(new URL('./lua/ledger-finish.lua', import.meta.url), 2);

/** KEYS: ledger. ARGV: id, owner, state. Releases this owner's claim after a transient failure. */
const releaseScript = luaCommand(new URL('./lua/ledger-release.lua', import.meta.url), 1);

/**
 * The ledger's records after SMTP (sent, failed, released) and its reads by entry
 * (src/delivery/ledger.ts).
 */
export function createLedgerRecords(deps: {
  redis: RedisClient;
  keys: Keys;
  failures: LedgerFailures;
}) {
  const { redis, keys, failures } = deps;

  return {
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

import type { Logger } from '../log.js';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import { isDigestDate } from './digest-window.js';

/**
 * Earlier versions named a digest by its date alone (`digest:2026-12-07`, its failures hash and
 * `ledger:2026-12-07`); that digest is the weekly edition of the date. This start-up migration
 * renames its keys to the edition's (`digest:weekly/2026-12-07` …) and moves it in the
 * indexes, so a date already sent is never sent again. Idempotent: a key whose new name exists
 * is left alone; every key keeps the prefix's hash tag, so RENAME works on a cluster too.
 *
 * KEYS: old digest, new digest, old failures, new failures, old ledger, new ledger, digests,
 * digests of weekly. ARGV: date, edition id. Returns 1 when something moved.
 */
const migrateScript = luaCommand(new URL('./lua/legacy-edition-migrate.lua', import.meta.url), 8);

/** Renames every bare-date digest to its weekly edition; returns how many moved. */
export async function migrateLegacyDigests(deps: {
  redis: RedisClient;
  keys: Keys;
  log: Logger;
}): Promise<number> {
  const { redis, keys } = deps;
  // The bare dates first (ZSCAN returns every member present throughout; one a week at most).
  const dates = new Set<string>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.zscan(keys.digests, cursor, 'COUNT', 500);
    cursor = next;
    for (let i = 0; i < flat.length; i += 2) if (isDigestDate(flat[i]!)) dates.add(flat[i]!);
  } while (cursor !== '0');
  let moved = 0;
  for (const date of dates) {
    const id = `weekly/${date}`;
    const out = await migrateScript(
      redis,
      [
        keys.digest(date),
        keys.digest(id),
        keys.digestFailures(date),
        keys.digestFailures(id),
        keys.ledger(date),
        keys.ledger(id),
        keys.digests,
        keys.digestsOf('weekly'),
      ],
      [date, id],
    );
    if (out === 1) moved++;
  }
  if (moved > 0) deps.log.info({ moved }, 'digests of earlier versions are now weekly editions');
  return moved;
}

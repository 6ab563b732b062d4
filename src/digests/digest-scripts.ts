import { defineScript } from '../redis.js';

/*
 * The digest hash's compare-and-set moves (src/digests/digest-store.ts). Each names every key
 * it touches in KEYS (cluster-safe) and moves the status only from the states it expects.
 */

/** The fields every edition hash starts with: ARGV[1..8] of createScript and markScript. */
const INIT = `
local function init(a)
  redis.call('HSET', KEYS[1], 'edition', a[1], 'frequency', a[2], 'date', a[3], 'sendAt', a[4],
    'windowStart', a[5], 'windowEnd', a[6], 'createdAt', a[7],
    'recipients', 0, 'sent', 0, 'failed', 0, 'skipped', 0, 'rolled', 0)
  redis.call('ZADD', KEYS[2], a[8], a[1])
  redis.call('ZADD', KEYS[3], a[8], a[1])
end
`;

/**
 * Creates the edition if absent (status building). Returns 1 when this call created it.
 * KEYS: digest, digests, digestsOf(frequency). ARGV: id, frequency, date, sendAt, windowStart,
 * windowEnd, now, score.
 */
export const createScript = defineScript(`${INIT}
if redis.call('HSETNX', KEYS[1], 'status', 'building') == 0 then return 0 end
init(ARGV)
return 1
`);

/**
 * Freezes the edition's post range once (README guarantee 1): seqTo, and seqFrom and
 * prevBuiltAt when given ('' = none: the first edition of its frequency). The first builder
 * wins; returns the stored seqTo, seqFrom, prevBuiltAt.
 */
export const freezeScript = defineScript(`
if redis.call('HSETNX', KEYS[1], 'seqTo', ARGV[1]) == 1 then
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'seqFrom', ARGV[2]) end
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'prevBuiltAt', ARGV[3]) end
end
return redis.call('HMGET', KEYS[1], 'seqTo', 'seqFrom', 'prevBuiltAt')
`);

/**
 * Marks the edition built once, naming its main variant (the post set of a reader with no
 * cursor and no topics, rendered once into its variant hash): the first builder wins and a
 * second (a retry racing a stalled one) keeps the winner's. A held or skipped edition (no
 * builtAt), or a legacy `empty` one, is built here for real.
 * ARGV: subject, variant, postIds (JSON), builtAt.
 */
export const storeContentScript = defineScript(`
local f = redis.call('HMGET', KEYS[1], 'builtAt', 'status')
if f[1] and f[2] ~= 'empty' then return 0 end
redis.call('HSET', KEYS[1], 'subject', ARGV[1], 'variant', ARGV[2],
  'postIds', ARGV[3], 'builtAt', ARGV[4], 'status', 'sending')
redis.call('HDEL', KEYS[1], 'html', 'text')
redis.call('HDEL', KEYS[1], 'reason', 'reasonAt', 'heldSince', 'holds')
return 1
`);

/**
 * Records an edition that is not built as held (preflight failed) or skipped (no posts, missed).
 * KEYS as createScript. ARGV: createScript's eight, then status, reason.
 * Returns 0 when the edition is built already (its status is left alone).
 */
export const markScript = defineScript(`${INIT}
local f = redis.call('HMGET', KEYS[1], 'status', 'builtAt')
if f[2] and f[1] ~= 'empty' then return 0 end
if not f[1] then init(ARGV) end
if f[1] == 'empty' then redis.call('HDEL', KEYS[1], 'builtAt', 'postIds') end
redis.call('HSET', KEYS[1], 'status', ARGV[9], 'reason', ARGV[10], 'reasonAt', ARGV[7])
if ARGV[9] == 'held' then
  redis.call('HSETNX', KEYS[1], 'heldSince', ARGV[7])
  redis.call('HINCRBY', KEYS[1], 'holds', 1)
else
  redis.call('HDEL', KEYS[1], 'heldSince', 'holds')
end
return 1
`);

/**
 * Moves a sending edition to its final status once every recipient is accounted for (sent,
 * failed, skipped or rolled over): `sent`,
 * `sent_with_failures`, or `failed` when none was sent and some failed.
 */
export const completeScript = defineScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'fanoutDone', 'recipients', 'sent', 'failed',
  'skipped', 'rolled')
if f[1] ~= 'sending' or f[2] ~= '1' then return 0 end
local done = tonumber(f[4]) + tonumber(f[5]) + tonumber(f[6]) + tonumber(f[7] or '0')
if done < tonumber(f[3]) then return 0 end
local status = 'sent'
if tonumber(f[5]) > 0 then
  if tonumber(f[4]) == 0 then status = 'failed' else status = 'sent_with_failures' end
end
redis.call('HSET', KEYS[1], 'status', status, 'finishedAt', ARGV[1])
return 1
`);

/**
 * Moves the fan-out cursor from ARGV[1] to ARGV[2] and counts ARGV[3] recipients, only if the
 * cursor is still where this builder read it: two builders of one digest (a stall taken for a
 * death) can never count a page twice.
 */
export const advanceScript = defineScript(`
local cur = redis.call('HGET', KEYS[1], 'fanoutCursor') or '0'
if cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'fanoutCursor', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'recipients', ARGV[3])
return 1
`);

import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis.js';

/*
 * Lua scripts of the subscriber store. Each one changes a subscriber's hash, the by-email index,
 * the per-status zsets and the suppressions together, so they never disagree.
 *
 * Keys a script builds itself (`<prefix>:sub:<id>`) share the prefix's hash tag with the
 * declared keys, so on Redis Cluster they live in the same slot (BullMQ's scripts rely on the
 * same rule).
 *
 * Hash fields (short names keep a million hashes small; empty fields are omitted):
 *   e email · n name · s status · z tz · p paused ("1") · c createdAt ms · u updatedAt ms
 *   k confirmedAt ms · ca/ci/cu/cs consent at ms / ip / user agent / source
 *   f frequency (absent: the site's default) · t topic names, comma-separated (absent: all)
 * KEYS[z1..z5] are always the per-status zsets in SUBSCRIBER_STATUSES order.
 *
 * The group index (fan-out by send instant, src/digests/fan-out.ts): every CONFIRMED subscriber
 * is in exactly one zset `<groups>:<f>:<tz>` (score = id), f and tz being the hash's fields or
 * `default` (the site's DIGEST_DEFAULT_FREQUENCY / DIGEST_TZ at send time, so a config change
 * needs no re-index); the hash `<groups>` counts each zset's members. Every script that moves
 * a status, a frequency or a zone, or deletes a subscriber, moves the index in the same call,
 * and a count moves only when its zset really changed, so counts and zsets never disagree.
 */

const STATUS_TABLE = `
local Z = {pending=0, confirmed=1, unsubscribed=2, bounced=3, complained=4}
`;

/**
 * Lua helpers of the group index. `G` must name the groups hash key before they are called.
 * `group(h)` is the group of subscriber hash h, or nil when it is not confirmed.
 */
const GROUP_FNS = `
local G
local function gname(f, z)
  if not f or f == '' then f = 'default' end
  if not z or z == '' then z = 'default' end
  return f .. ':' .. z
end
local function group(h)
  local v = redis.call('HMGET', h, 's', 'f', 'z')
  if v[1] ~= 'confirmed' then return nil end
  return gname(v[2], v[3])
end
local function gmove(id, from, to)
  if from == to then return end
  if from and redis.call('ZREM', G .. ':' .. from, id) == 1 then
    if redis.call('HINCRBY', G, from, -1) <= 0 then redis.call('HDEL', G, from) end
  end
  if to and redis.call('ZADD', G .. ':' .. to, id, id) == 1 then
    redis.call('HINCRBY', G, to, 1)
  end
end
`;

/**
 * KEYS: byEmail, seq, suppressions, z1..z5, groups.
 * ARGV: subPrefix, now, then 12 per entry: key, email, sha, status, name, tz, ca, ci, cu, cs,
 *   frequency, topics.
 * Returns per entry: outcome ('c' created, 'u' updated, 'n' unchanged, 's' suppressed), id (0 if none).
 * An existing subscriber's status only moves pending → confirmed, or from pending/confirmed to an
 * opt-out status the input names; unsubscribed, bounced and complained are never revived.
 */
export const ADD_SCRIPT = `${STATUS_TABLE}${GROUP_FNS}
G = KEYS[9]
local subPrefix, now = ARGV[1], ARGV[2]
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local startSeq = seq
local out = {}
local function fill(f, name, v) if v ~= '' then f[#f+1] = name; f[#f+1] = v end end
for i = 3, #ARGV, 12 do
  local key, email, sha, status = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  local id = redis.call('HGET', KEYS[1], key)
  if redis.call('HEXISTS', KEYS[3], sha) == 1 then
    out[#out+1] = 's'; out[#out+1] = tonumber(id or '0')
  elseif not id then
    seq = seq + 1
    local f = {'e', email, 's', status, 'c', now}
    fill(f, 'n', ARGV[i+4]); fill(f, 'z', ARGV[i+5])
    fill(f, 'ca', ARGV[i+6]); fill(f, 'ci', ARGV[i+7]); fill(f, 'cu', ARGV[i+8]); fill(f, 'cs', ARGV[i+9])
    fill(f, 'f', ARGV[i+10]); fill(f, 't', ARGV[i+11])
    if status == 'confirmed' then f[#f+1] = 'k'; f[#f+1] = now end
    redis.call('HSET', subPrefix .. seq, unpack(f))
    redis.call('HSET', KEYS[1], key, seq)
    redis.call('ZADD', KEYS[4 + Z[status]], seq, seq)
    if status == 'bounced' or status == 'complained' then
      redis.call('HSET', KEYS[3], sha, status .. ':' .. now)
    end
    if status == 'confirmed' then gmove(seq, nil, gname(ARGV[i+10], ARGV[i+5])) end
    out[#out+1] = 'c'; out[#out+1] = seq
  else
    local h = subPrefix .. id
    local before = group(h)
    local cur = redis.call('HGET', h, 's')
    local changed = false
    local new = cur
    if status == 'confirmed' and cur == 'pending' then new = status
    elseif (status == 'unsubscribed' or status == 'bounced' or status == 'complained')
      and (cur == 'pending' or cur == 'confirmed') then new = status end
    if cur and new ~= cur then
      redis.call('HSET', h, 's', new, 'u', now)
      if new == 'confirmed' then redis.call('HSET', h, 'k', now) end
      redis.call('ZREM', KEYS[4 + Z[cur]], id)
      redis.call('ZADD', KEYS[4 + Z[new]], id, id)
      if new == 'bounced' or new == 'complained' then
        redis.call('HSET', KEYS[3], sha, new .. ':' .. now)
      end
      changed = true
    end
    -- Missing optional fields are filled in; what is there is never overwritten.
    if ARGV[i+4] ~= '' and redis.call('HSETNX', h, 'n', ARGV[i+4]) == 1 then changed = true end
    if ARGV[i+5] ~= '' and redis.call('HSETNX', h, 'z', ARGV[i+5]) == 1 then changed = true end
    if ARGV[i+10] ~= '' and redis.call('HSETNX', h, 'f', ARGV[i+10]) == 1 then changed = true end
    if ARGV[i+11] ~= '' and redis.call('HSETNX', h, 't', ARGV[i+11]) == 1 then changed = true end
    if ARGV[i+6] ~= '' and redis.call('HEXISTS', h, 'ca') == 0 then
      local f = {}
      fill(f, 'ca', ARGV[i+6]); fill(f, 'ci', ARGV[i+7]); fill(f, 'cu', ARGV[i+8]); fill(f, 'cs', ARGV[i+9])
      redis.call('HSET', h, unpack(f))
      changed = true
    end
    if changed then gmove(id, before, group(h)) end
    out[#out+1] = changed and 'u' or 'n'; out[#out+1] = tonumber(id)
  end
end
if seq ~= startSeq then redis.call('SET', KEYS[2], seq) end
return out
`;

/**
 * KEYS: subscriber hash, suppressions, z1..z5, groups. ARGV: id, status, now, sha ('' = none).
 * Returns the previous status, or false when the subscriber does not exist.
 * Moving to bounced or complained also records the address's suppression.
 */
export const SET_STATUS_SCRIPT = `${STATUS_TABLE}${GROUP_FNS}
G = KEYS[8]
local id, status, now, sha = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local cur = redis.call('HGET', KEYS[1], 's')
if not cur then return false end
if cur ~= status then
  local before = group(KEYS[1])
  redis.call('HSET', KEYS[1], 's', status, 'u', now)
  if status == 'confirmed' then redis.call('HSET', KEYS[1], 'k', now) end
  redis.call('ZREM', KEYS[3 + Z[cur]], id)
  redis.call('ZADD', KEYS[3 + Z[status]], id, id)
  gmove(id, before, group(KEYS[1]))
end
if sha ~= '' and (status == 'bounced' or status == 'complained') then
  redis.call('HSETNX', KEYS[2], sha, status .. ':' .. now)
end
return cur
`;

/**
 * KEYS: subscriber hash, byEmail, suppressions, z1..z5, groups. ARGV: id, key, sha ('' = no
 * suppression), now.
 * Deletes the subscriber everywhere; with a sha, records it as erased. Returns 1, or 0 if missing.
 */
export const REMOVE_SCRIPT = `${GROUP_FNS}
G = KEYS[9]
local id, key, sha, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
gmove(id, group(KEYS[1]), nil)
redis.call('DEL', KEYS[1])
if redis.call('HGET', KEYS[2], key) == id then redis.call('HDEL', KEYS[2], key) end
for i = 4, 8 do redis.call('ZREM', KEYS[i], id) end
if sha ~= '' then redis.call('HSET', KEYS[3], sha, 'erased:' .. now) end
return 1
`;

/**
 * KEYS: subscriber hash, groups. ARGV: id, now, n (number of field/value pairs to set), pairs...,
 * fields to delete...
 * Returns 0 when the subscriber does not exist (a deleted subscriber is never re-created).
 * A new frequency or zone moves a confirmed subscriber to its new group.
 */
export const UPDATE_SCRIPT = `${GROUP_FNS}
G = KEYS[2]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local id = table.remove(ARGV, 1)
local before = group(KEYS[1])
local n = tonumber(ARGV[2])
local f = {'u', ARGV[1]}
for i = 3, 2 + 2 * n do f[#f+1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(f))
for i = 3 + 2 * n, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
gmove(id, before, group(KEYS[1]))
return 1
`;

/**
 * KEYS: byEmail, suppressions, z1..z5, groups. ARGV: subPrefix, key, sha, reason, now, status ('' = none).
 * Records the suppression; an existing pending or confirmed subscriber moves to `status`.
 * Returns the subscriber id or 0.
 */
export const SUPPRESS_SCRIPT = `${STATUS_TABLE}${GROUP_FNS}
G = KEYS[8]
local subPrefix, key, sha, reason, now, status = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
redis.call('HSET', KEYS[2], sha, reason .. ':' .. now)
local id = redis.call('HGET', KEYS[1], key)
if not id then return 0 end
local h = subPrefix .. id
local cur = redis.call('HGET', h, 's')
if status ~= '' and (cur == 'pending' or cur == 'confirmed') then
  local before = group(h)
  redis.call('HSET', h, 's', status, 'u', now)
  redis.call('ZREM', KEYS[3 + Z[cur]], id)
  redis.call('ZADD', KEYS[3 + Z[status]], id, id)
  gmove(id, before, nil)
end
return tonumber(id)
`;

/**
 * The start-up migration of the group index (idempotent): puts each listed id that is
 * confirmed now into its group. KEYS: groups. ARGV: subPrefix, ids... Returns how many were
 * added (0 for those already indexed, by the store's scripts or an earlier run).
 */
export const INDEX_GROUPS_SCRIPT = `${GROUP_FNS}
G = KEYS[1]
local added = 0
for i = 2, #ARGV do
  local to = group(ARGV[1] .. ARGV[i])
  if to and redis.call('ZADD', G .. ':' .. to, ARGV[i], ARGV[i]) == 1 then
    redis.call('HINCRBY', G, to, 1)
    added = added + 1
  end
end
return added
`;

const shas = new Map<string, string>();

/**
 * Runs a script by EVALSHA, loading it with EVAL the first time a server does not know it
 * (after a restart or on another cluster node).
 */
export async function runScript(
  redis: RedisClient,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}

-- subscriber-suppress.lua: `suppressScript` in src/subscribers/store-scripts.ts (KEYS and ARGV are documented there).
--- @include "includes/status-table"
--- @include "includes/group-fns"
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

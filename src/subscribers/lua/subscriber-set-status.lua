-- subscriber-set-status.lua: `setStatusScript` in src/subscribers/store-scripts.ts (KEYS and ARGV are documented there).
--- @include "includes/status-table"
--- @include "includes/group-fns"
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

-- digest-mark.lua: `markScript` in src/digests/digest-scripts.ts (KEYS and ARGV are documented there).
--- @include "includes/edition-init"
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

-- subscriber-remove.lua: `removeScript` in src/subscribers/store-scripts.ts (KEYS and ARGV are documented there).
--- @include "includes/group-fns"
G = KEYS[9]
local id, key, sha, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
gmove(id, group(KEYS[1]), nil)
redis.call('DEL', KEYS[1])
if redis.call('HGET', KEYS[2], key) == id then redis.call('HDEL', KEYS[2], key) end
for i = 4, 8 do redis.call('ZREM', KEYS[i], id) end
if sha ~= '' then redis.call('HSET', KEYS[3], sha, 'erased:' .. now) end
return 1

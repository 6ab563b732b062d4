-- subscriber-update.lua: `updateScript` in src/subscribers/store-scripts.ts (KEYS and ARGV are documented there).
--- @include "includes/group-fns"
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

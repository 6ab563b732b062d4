-- ledger-release.lua: `releaseScript` in src/delivery/ledger.ts (KEYS and ARGV are documented there).
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur or string.sub(cur, 1, 1) ~= 'c' then return 0 end
if not string.find(cur, ':' .. ARGV[2], 1, true) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1

-- ledger-fail.lua: `failScript` in src/delivery/ledger-failures.ts (KEYS and ARGV are documented there).
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur or string.sub(cur, 1, 1) ~= 'c' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], 'failed', 1)
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
return 1

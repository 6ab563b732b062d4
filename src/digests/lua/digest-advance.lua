-- digest-advance.lua: `advanceScript` in src/digests/digest-scripts.ts (KEYS and ARGV are documented there).
local cur = redis.call('HGET', KEYS[1], 'fanoutCursor') or '0'
if cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'fanoutCursor', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'recipients', ARGV[3])
return 1

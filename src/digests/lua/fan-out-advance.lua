-- fan-out-advance.lua: `advanceScript` in src/digests/fan-out.ts (KEYS and ARGV are documented there).
local v = redis.call('HMGET', KEYS[1], 'gi', 'cursor')
if (v[1] or '0') ~= ARGV[1] or (v[2] or '0') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'gi', ARGV[3], 'cursor', ARGV[4])
local n = tonumber(ARGV[5])
if n > 0 then
  redis.call('HINCRBY', KEYS[1], 'recipients', n)
  redis.call('HINCRBY', KEYS[2], 'recipients', n)
  redis.call('HINCRBY', KEYS[3], ARGV[6] .. ':recipients', n)
end
return 1

-- topic-removal-start.lua: `START` in src/topics/topic-removal.ts (KEYS and ARGV are documented there).
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local name = cjson.decode(raw).name
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], '1|' .. last .. '|0|' .. name)
return 1

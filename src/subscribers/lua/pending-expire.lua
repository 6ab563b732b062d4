-- pending-expire.lua: `EXPIRE` in src/subscribers/pending-expiry.ts (KEYS and ARGV are documented there).
local s, u = unpack(redis.call('HMGET', KEYS[1], 's', 'u'))
if s ~= 'pending' or (tonumber(u) or 0) >= tonumber(ARGV[3]) then
  if s ~= 'pending' then redis.call('ZREM', KEYS[3], ARGV[1]) end
  return 0
end
redis.call('DEL', KEYS[1])
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
for i = 4, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
redis.call('ZREM', KEYS[3], ARGV[1])
return 1

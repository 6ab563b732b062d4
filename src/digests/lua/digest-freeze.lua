-- digest-freeze.lua: `freezeScript` in src/digests/digest-scripts.ts (KEYS and ARGV are documented there).
if redis.call('HSETNX', KEYS[1], 'seqTo', ARGV[1]) == 1 then
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'seqFrom', ARGV[2]) end
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'prevBuiltAt', ARGV[3]) end
end
return redis.call('HMGET', KEYS[1], 'seqTo', 'seqFrom', 'prevBuiltAt')

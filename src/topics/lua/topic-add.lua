-- topic-add.lua: `ADD` in src/topics/topic-store.ts (KEYS and ARGV are documented there).
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 2 end
return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])

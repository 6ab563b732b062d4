-- feed-update-if-present.lua: `updateIfPresent` in src/feeds/feed-store.ts (KEYS and ARGV are documented there).
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1

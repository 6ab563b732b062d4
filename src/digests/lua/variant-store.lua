-- variant-store.lua: `storeScript` in src/digests/variant-store.ts (KEYS and ARGV are documented there).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'subject', ARGV[1], 'html', ARGV[2], 'text', ARGV[3],
  'postIds', ARGV[4], 'beyond', ARGV[5])
redis.call('HINCRBY', KEYS[2], 'renders', 1)
return 1

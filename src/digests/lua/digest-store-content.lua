-- digest-store-content.lua: `storeContentScript` in src/digests/digest-scripts.ts (KEYS and ARGV are documented there).
local f = redis.call('HMGET', KEYS[1], 'builtAt', 'status')
if f[1] and f[2] ~= 'empty' then return 0 end
redis.call('HSET', KEYS[1], 'subject', ARGV[1], 'variant', ARGV[2],
  'postIds', ARGV[3], 'builtAt', ARGV[4], 'status', 'sending')
redis.call('HDEL', KEYS[1], 'html', 'text')
redis.call('HDEL', KEYS[1], 'reason', 'reasonAt', 'heldSince', 'holds')
return 1

-- The fields every edition hash starts with: ARGV[1..8] of digest-create and digest-mark.
local function init(a)
  redis.call('HSET', KEYS[1], 'edition', a[1], 'frequency', a[2], 'date', a[3], 'sendAt', a[4],
    'windowStart', a[5], 'windowEnd', a[6], 'createdAt', a[7],
    'recipients', 0, 'sent', 0, 'failed', 0, 'skipped', 0, 'rolled', 0)
  redis.call('ZADD', KEYS[2], a[8], a[1])
  redis.call('ZADD', KEYS[3], a[8], a[1])
end

-- schedule-advance-cursor.lua: `advanceCursorScript` in src/digests/schedules.ts (KEYS and ARGV are documented there).
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > cur then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end
return 0

-- legacy-edition-migrate.lua: `migrateScript` in src/digests/legacy-editions.ts (KEYS and ARGV are documented there).
local moved = 0
for i = 1, 5, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('EXISTS', KEYS[i + 1]) == 0 then
    redis.call('RENAME', KEYS[i], KEYS[i + 1])
    moved = 1
  end
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSETNX', KEYS[2], 'edition', ARGV[2])
  redis.call('HSETNX', KEYS[2], 'frequency', 'weekly')
end
local score = redis.call('ZSCORE', KEYS[7], ARGV[1])
if score then
  redis.call('ZADD', KEYS[7], score, ARGV[2])
  redis.call('ZADD', KEYS[8], score, ARGV[2])
  redis.call('ZREM', KEYS[7], ARGV[1])
  moved = 1
end
return moved

-- fan-out-start.lua: `startScript` in src/digests/fan-out.ts (KEYS and ARGV are documented there).
redis.call('HSETNX', KEYS[1], 'groups', ARGV[1])
redis.call('HSETNX', KEYS[1], 'bound', ARGV[2])
return redis.call('HMGET', KEYS[1], 'groups', 'bound', 'gi', 'cursor', 'done')

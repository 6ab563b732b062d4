-- auth-attempt.lua: `ATTEMPT` in src/http/auth-limiter.ts (KEYS and ARGV are documented there).
local wait = math.max(redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[4]))
if wait > 0 then return wait end
if ARGV[1] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DEL', KEYS[1]) end
  return 0
end
local function fail(fails, lock, free, max)
  local n = redis.call('INCR', fails)
  if n == 1 then redis.call('PEXPIRE', fails, ARGV[2]) end
  if n >= free then
    local delay = math.min(tonumber(ARGV[5]) * 2 ^ math.min(n - free, 30), tonumber(max))
    redis.call('SET', lock, '1', 'PX', math.floor(delay))
  end
end
fail(KEYS[1], KEYS[2], tonumber(ARGV[3]), ARGV[6])
fail(KEYS[3], KEYS[4], tonumber(ARGV[4]), ARGV[7])
return -1

-- ledger-reopen.lua: `reopenScript` in src/delivery/ledger-failures.ts (KEYS and ARGV are documented there).
local moved = {}
for i = 1, #ARGV do
  local id = ARGV[i]
  local cur = redis.call('HGET', KEYS[1], id)
  if cur and string.sub(cur, 1, 2) == 'f:' then
    local code, cause = string.match(cur, '^f:(%d+):%d+:?(%a?)$')
    local n = tonumber(code or '')
    local temporary = cause == 't'
    if cause == '' and n then temporary = n == 0 or (n >= 400 and n < 500) end
    if temporary then
      redis.call('HSET', KEYS[1], id, 'r:retry')
      redis.call('HINCRBY', KEYS[2], 'failed', -1)
      local group = 'temporary:' .. ((n == 0) and 'none' or code)
      if tonumber(redis.call('HGET', KEYS[3], group) or '0') > 0 then
        redis.call('HINCRBY', KEYS[3], group, -1)
      end
      moved[#moved + 1] = id
    end
  end
end
if #moved > 0 then
  local status = redis.call('HGET', KEYS[2], 'status')
  if status == 'sent_with_failures' or status == 'failed' then
    redis.call('HSET', KEYS[2], 'status', 'sending')
  end
end
return moved

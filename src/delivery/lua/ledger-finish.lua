-- ledger-finish.lua: `finishScript` in src/delivery/ledger.ts (KEYS and ARGV are documented there).
local out = {}
local moved = 0
for i = 2, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur and string.sub(cur, 1, 1) == 'c' then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    moved = moved + 1
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if moved > 0 and ARGV[1] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[1], moved) end
return out

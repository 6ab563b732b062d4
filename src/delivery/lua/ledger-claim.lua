-- ledger-claim.lua: `claimScript` in src/delivery/ledger.ts (KEYS and ARGV are documented there).
local now = tonumber(ARGV[1])
local seqTo = ARGV[4]
local out = {}
local skipped, rolled = 0, 0
local n = 0
for i = 5, #ARGV, 6 do
  n = n + 1
  local id, sub = ARGV[i], KEYS[3 + n]
  local f = redis.call('HMGET', sub, 's', 'p', 'q')
  local eligible = ARGV[i + 1] == '1' and f[1] == 'confirmed' and f[2] ~= '1'
  local cur = redis.call('HGET', KEYS[1], id)
  local kind = cur and string.sub(cur, 1, 1)
  local free = (not cur) or kind == 'r'
  if kind == 'c' then
    local lease = tonumber(string.match(cur, '^c:(%d+):'))
    if lease and lease < now then free = true end
  end
  if not free then
    if kind == 'c' then out[n] = 'h' else out[n] = 'd' end
  elseif not eligible then
    -- An expired claim of someone no longer eligible: the dead worker may have sent it; it is
    -- final now, and counted as skipped so the edition can complete.
    redis.call('HSET', KEYS[1], id, kind == 'c' and 'k:expired' or 'k:status')
    skipped = skipped + 1
    out[n] = 'k'
  elseif cur then
    -- Taken again (lease expired, released, reopened): the cursor moved at the first claim.
    redis.call('HSET', KEYS[1], id, 'c:' .. ARGV[2] .. ':' .. ARGV[3])
    out[n] = 'c:' .. (redis.call('HGET', KEYS[3], id) or '')
  elseif seqTo ~= '' and (f[3] or '') ~= ARGV[i + 2] then
    redis.call('HSET', KEYS[1], id, 'k:stale')
    skipped = skipped + 1
    out[n] = 'x'
  elseif ARGV[i + 4] ~= '' then
    redis.call('HSET', KEYS[1], id, 'o:' .. ARGV[i + 4])
    if ARGV[i + 5] ~= '' then redis.call('HSETNX', sub, 'q', ARGV[i + 5]) end
    rolled = rolled + 1
    out[n] = 'o'
  else
    redis.call('HSET', KEYS[1], id, 'c:' .. ARGV[2] .. ':' .. ARGV[3])
    redis.call('HSET', KEYS[3], id, ARGV[i + 3])
    if seqTo ~= '' and tonumber(seqTo) > tonumber(f[3] or '-1') then
      redis.call('HSET', sub, 'q', seqTo)
    end
    out[n] = 'c:' .. ARGV[i + 3]
  end
end
if skipped > 0 then redis.call('HINCRBY', KEYS[2], 'skipped', skipped) end
if rolled > 0 then redis.call('HINCRBY', KEYS[2], 'rolled', rolled) end
return out

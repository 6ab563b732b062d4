-- subscriber-add.lua: `addScript` in src/subscribers/store-scripts.ts (KEYS and ARGV are documented there).
--- @include "includes/status-table"
--- @include "includes/group-fns"
G = KEYS[9]
local subPrefix, now = ARGV[1], ARGV[2]
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local startSeq = seq
local out = {}
local function fill(f, name, v) if v ~= '' then f[#f+1] = name; f[#f+1] = v end end
for i = 3, #ARGV, 12 do
  local key, email, sha, status = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  local id = redis.call('HGET', KEYS[1], key)
  if redis.call('HEXISTS', KEYS[3], sha) == 1 then
    out[#out+1] = 's'; out[#out+1] = tonumber(id or '0')
  elseif not id then
    seq = seq + 1
    local f = {'e', email, 's', status, 'c', now}
    fill(f, 'n', ARGV[i+4]); fill(f, 'z', ARGV[i+5])
    fill(f, 'ca', ARGV[i+6]); fill(f, 'ci', ARGV[i+7]); fill(f, 'cu', ARGV[i+8]); fill(f, 'cs', ARGV[i+9])
    fill(f, 'f', ARGV[i+10]); fill(f, 't', ARGV[i+11])
    if status == 'confirmed' then f[#f+1] = 'k'; f[#f+1] = now end
    redis.call('HSET', subPrefix .. seq, unpack(f))
    redis.call('HSET', KEYS[1], key, seq)
    redis.call('ZADD', KEYS[4 + Z[status]], seq, seq)
    if status == 'bounced' or status == 'complained' then
      redis.call('HSET', KEYS[3], sha, status .. ':' .. now)
    end
    if status == 'confirmed' then gmove(seq, nil, gname(ARGV[i+10], ARGV[i+5])) end
    out[#out+1] = 'c'; out[#out+1] = seq
  else
    local h = subPrefix .. id
    local before = group(h)
    local cur = redis.call('HGET', h, 's')
    local changed = false
    local new = cur
    if status == 'confirmed' and cur == 'pending' then new = status
    elseif (status == 'unsubscribed' or status == 'bounced' or status == 'complained')
      and (cur == 'pending' or cur == 'confirmed') then new = status end
    if cur and new ~= cur then
      redis.call('HSET', h, 's', new, 'u', now)
      if new == 'confirmed' then redis.call('HSET', h, 'k', now) end
      redis.call('ZREM', KEYS[4 + Z[cur]], id)
      redis.call('ZADD', KEYS[4 + Z[new]], id, id)
      if new == 'bounced' or new == 'complained' then
        redis.call('HSET', KEYS[3], sha, new .. ':' .. now)
      end
      changed = true
    end
    -- Missing optional fields are filled in; what is there is never overwritten.
    if ARGV[i+4] ~= '' and redis.call('HSETNX', h, 'n', ARGV[i+4]) == 1 then changed = true end
    if ARGV[i+5] ~= '' and redis.call('HSETNX', h, 'z', ARGV[i+5]) == 1 then changed = true end
    if ARGV[i+10] ~= '' and redis.call('HSETNX', h, 'f', ARGV[i+10]) == 1 then changed = true end
    if ARGV[i+11] ~= '' and redis.call('HSETNX', h, 't', ARGV[i+11]) == 1 then changed = true end
    if ARGV[i+6] ~= '' and redis.call('HEXISTS', h, 'ca') == 0 then
      local f = {}
      fill(f, 'ca', ARGV[i+6]); fill(f, 'ci', ARGV[i+7]); fill(f, 'cu', ARGV[i+8]); fill(f, 'cs', ARGV[i+9])
      redis.call('HSET', h, unpack(f))
      changed = true
    end
    if changed then gmove(id, before, group(h)) end
    out[#out+1] = changed and 'u' or 'n'; out[#out+1] = tonumber(id)
  end
end
if seq ~= startSeq then redis.call('SET', KEYS[2], seq) end
return out

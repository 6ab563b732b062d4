-- Helpers of the group index (src/subscribers/store-scripts.ts). `G` must name the groups hash
-- key before they are called. `group(h)` is the group of subscriber hash h, or nil when it is
-- not confirmed.
local G
local function gname(f, z)
  if not f or f == '' then f = 'default' end
  if not z or z == '' then z = 'default' end
  return f .. ':' .. z
end
local function group(h)
  local v = redis.call('HMGET', h, 's', 'f', 'z')
  if v[1] ~= 'confirmed' then return nil end
  return gname(v[2], v[3])
end
local function gmove(id, from, to)
  if from == to then return end
  if from and redis.call('ZREM', G .. ':' .. from, id) == 1 then
    if redis.call('HINCRBY', G, from, -1) <= 0 then redis.call('HDEL', G, from) end
  end
  if to and redis.call('ZADD', G .. ':' .. to, id, id) == 1 then
    redis.call('HINCRBY', G, to, 1)
  end
end

-- topic-removal-step.lua: `STEP` in src/topics/topic-removal.ts (KEYS and ARGV are documented there).
local state = redis.call('HGET', KEYS[1], ARGV[1])
if not state then return {} end
local nextId, last, had, name = string.match(state, '^(%d+)|(%d+)|(%d+)|(.*)$')
nextId, last, had = tonumber(nextId), tonumber(last), tonumber(had)
if nextId > last then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return {1, had, name}
end
local lower = string.lower(name)
local to = math.min(last, nextId + tonumber(ARGV[3]) - 1)
for id = nextId, to do
  local h = ARGV[2] .. id
  local t = redis.call('HGET', h, 't')
  if t then
    local kept, found = {}, false
    for part in string.gmatch(t, '[^,]+') do
      if string.lower(part) == lower then found = true else kept[#kept + 1] = part end
    end
    if found then
      had = had + 1
      if #kept > 0 then redis.call('HSET', h, 't', table.concat(kept, ','))
      else redis.call('HDEL', h, 't') end
    end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], (to + 1) .. '|' .. last .. '|' .. had .. '|' .. name)
return {0, had, name}

-- subscriber-index-groups.lua: `indexGroupsScript` in src/subscribers/store-scripts.ts (KEYS and ARGV are documented there).
--- @include "includes/group-fns"
G = KEYS[1]
local added = 0
for i = 2, #ARGV do
  local to = group(ARGV[1] .. ARGV[i])
  if to and redis.call('ZADD', G .. ':' .. to, ARGV[i], ARGV[i]) == 1 then
    redis.call('HINCRBY', G, to, 1)
    added = added + 1
  end
end
return added

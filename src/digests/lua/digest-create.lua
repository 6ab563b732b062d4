-- digest-create.lua: `createScript` in src/digests/digest-scripts.ts (KEYS and ARGV are documented there).
--- @include "includes/edition-init"
if redis.call('HSETNX', KEYS[1], 'status', 'building') == 0 then return 0 end
init(ARGV)
return 1

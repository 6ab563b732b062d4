-- digest-complete.lua: `completeScript` in src/digests/digest-scripts.ts (KEYS and ARGV are documented there).
local f = redis.call('HMGET', KEYS[1], 'status', 'fanoutDone', 'recipients', 'sent', 'failed',
  'skipped', 'rolled')
if f[1] ~= 'sending' or f[2] ~= '1' then return 0 end
local done = tonumber(f[4]) + tonumber(f[5]) + tonumber(f[6]) + tonumber(f[7] or '0')
if done < tonumber(f[3]) then return 0 end
local status = 'sent'
if tonumber(f[5]) > 0 then
  if tonumber(f[4]) == 0 then status = 'failed' else status = 'sent_with_failures' end
end
redis.call('HSET', KEYS[1], 'status', status, 'finishedAt', ARGV[1])
return 1

-- post-image-size.lua: `setImageSizeScript` in src/feeds/post-image-store.ts (KEYS and ARGV are documented there).
if redis.call('HGET', KEYS[1], 'imageUrl') ~= ARGV[1] then return 0 end
return redis.call('HSETNX', KEYS[1], 'imageSize', ARGV[2])

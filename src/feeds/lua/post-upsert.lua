-- post-upsert.lua: `upsertScript` in src/feeds/post-store.ts (KEYS and ARGV are documented there).
local id, guidKey, urlKey = ARGV[1], ARGV[2], ARGV[3]
local primary = guidKey ~= '' and guidKey or urlKey
local owner = redis.call('HGET', KEYS[2], primary)
if owner and owner ~= id then return 'retry' end
-- CONTENT_FIELDS of post-store.ts, in its order (test/unit/lua-command.test.ts checks they agree).
local names = {'guid', 'url', 'title', 'author', 'summary', 'imageUrl', 'blog', 'categories'}
local IMAGE_URL
for i, name in ipairs(names) do if name == 'imageUrl' then IMAGE_URL = i end end
local first = 10
local function index()
  if guidKey ~= '' then redis.call('HSETNX', KEYS[2], guidKey, id) end
  redis.call('HSETNX', KEYS[2], urlKey, id)
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  local publishedIso = ARGV[6] ~= '' and ARGV[6] or ARGV[4]
  local publishedMs = ARGV[7] ~= '' and ARGV[7] or ARGV[5]
  local fields = {'id', id, 'feed', ARGV[8], 'firstSeenAt', ARGV[4], 'publishedAt', publishedIso}
  local optional = {'dateIssue', 'unreadableDate'}
  for i, name in ipairs(names) do optional[#optional + 1] = name end
  for i, name in ipairs(optional) do
    local v = ARGV[8 + i]
    if v ~= '' then fields[#fields + 1] = name; fields[#fields + 1] = v end
  end
  -- Its arrival order: editions freeze a seq range, subscribers' cursors move along it.
  local seq = redis.call('INCR', KEYS[5])
  fields[#fields + 1] = 'seq'; fields[#fields + 1] = seq
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('ZADD', KEYS[3], publishedMs, id)
  redis.call('ZADD', KEYS[4], ARGV[5], id)
  redis.call('ZADD', KEYS[6], seq, id)
  index()
  return 'new'
end
-- The same post in a second feed: the first feed owns its content, so the two never flip-flop.
if redis.call('HGET', KEYS[1], 'feed') ~= ARGV[8] then index(); return 'unchanged' end
local old = redis.call('HMGET', KEYS[1], unpack(names))
local sets, dels = {}, {}
local function put(name, v, was)
  if v == '' then
    if was then dels[#dels + 1] = name end
  elseif was ~= v then
    sets[#sets + 1] = name; sets[#sets + 1] = v
  end
end
for i, name in ipairs(names) do put(name, ARGV[first + i], old[i]) end
-- Another image (or none): its size is measured again.
if (old[IMAGE_URL] or '') ~= ARGV[first + IMAGE_URL] and redis.call('HEXISTS', KEYS[1], 'imageSize') == 1 then
  dels[#dels + 1] = 'imageSize'
end
local issue = redis.call('HMGET', KEYS[1], 'dateIssue', 'unreadableDate')
if ARGV[6] ~= '' then
  if redis.call('HGET', KEYS[1], 'publishedAt') ~= ARGV[6] then
    sets[#sets + 1] = 'publishedAt'; sets[#sets + 1] = ARGV[6]
    redis.call('ZADD', KEYS[3], ARGV[7], id)
  end
  put('dateIssue', '', issue[1]); put('unreadableDate', '', issue[2])
elseif issue[1] then
  -- Never dated by its feed: the flag follows what the feed gives now.
  put('dateIssue', ARGV[9], issue[1]); put('unreadableDate', ARGV[10], issue[2])
end
-- (A post its feed once dated keeps that date when the feed stops giving one.)
if #sets == 0 and #dels == 0 then return 'unchanged' end
if #sets > 0 then redis.call('HSET', KEYS[1], unpack(sets)) end
if #dels > 0 then redis.call('HDEL', KEYS[1], unpack(dels)) end
index()
return 'updated'

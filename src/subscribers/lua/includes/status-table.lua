-- The per-status zsets' order (SUBSCRIBER_STATUSES): KEYS[base + Z[status]] is a status's zset.
local Z = {pending=0, confirmed=1, unsubscribed=2, bounced=3, complained=4}

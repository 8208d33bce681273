/**
 * The Lua scripts of node liveness. Each runs atomically in Redis (EVALSHA through ioredis's
 * defineCommand, which falls back to EVAL after a restart of Redis emptied its script cache).
 * Times are Redis's own (TIME), so the nodes' clocks need not agree. Redis 7 replicates a script's
 * effects, not the script, so TIME before a write is allowed.
 */

/**
 * Claims or refreshes a node's lease.
 * KEYS[1] the node's lease key, KEYS[2] the nodes sorted set; ARGV[1] the holder's token,
 * ARGV[2] leaseMs, ARGV[3] the node id.
 * Returns { status, holder's token or '', pttl }: `ok` (ours, refreshed), `claimed` (it was free:
 * a first claim, or ours had expired), `taken` (another process holds the id; nothing written).
 */
export const LEASE_LUA = `
local holder = redis.call('GET', KEYS[1])
local status
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  status = 'ok'
elseif holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  status = 'claimed'
else
  return { 'taken', holder, redis.call('PTTL', KEYS[1]) }
end
local t = redis.call('TIME')
redis.call('ZADD', KEYS[2], t[1] * 1000 + math.floor(t[2] / 1000), ARGV[3])
return { status, '', 0 }
`;

/**
 * The live nodes: the members of the nodes set whose lease key still exists. Members whose key is
 * gone and who were last seen more than ARGV[2] ms ago are dropped from the set (every node has
 * seen them go by then), so the set stays the size of the cluster.
 * KEYS[1] the nodes sorted set; ARGV[1] the lease keys' prefix (`<prefix>:node:`), ARGV[2] forget-after ms.
 * The lease keys are built from ARGV, so all of a cluster's keys must live on one Redis (no Redis Cluster).
 */
export const LIVE_LUA = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local members = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local live = {}
for i = 1, #members, 2 do
  local id = members[i]
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then
    live[#live + 1] = id
  elseif now - tonumber(members[i + 1]) > tonumber(ARGV[2]) then
    redis.call('ZREM', KEYS[1], id)
  end
end
return live
`;

/**
 * Gives a lease back at a clean stop, only if this process still holds it.
 * KEYS[1] the lease key, KEYS[2] the nodes set; ARGV[1] the token, ARGV[2] the node id. Returns 1 when released.
 */
export const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
return 0
`;

-- POST signed real GitHub deliveries, each with a unique X-GitHub-Delivery.
--
--   wrk -s bench/wrk/deliveries.lua <url> -- <manifest> <active seconds> <run tag> [redelivery every N]
--
-- The manifest (written by bench/ingest.py) has one line per sample:
-- "event<TAB>sha256=...<TAB>/path/to/body.json". Bodies are signed once:
-- the signature covers the body only, not the delivery id.
-- With N > 0, every Nth request repeats a delivery sent 32 requests earlier
-- by this thread (same id, same body), as GitHub's "Redeliver" does.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local bodies = {}
local sent = 0
local redeliver_every = 0
local tag = "run"
local recent = {}

function init(args)
  for line in io.lines(args[1]) do
    local event, signature, path = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
    local file = assert(io.open(path, "rb"))
    table.insert(bodies, { event = event, signature = signature, body = file:read("*a") })
    file:close()
  end
  tag = args[3]
  redeliver_every = tonumber(args[4] or "0")
  start_clock(tonumber(args[2]))
end

function request()
  sent = sent + 1
  local index = (sent + tid * 7) % #bodies + 1
  local delivery_id = string.format("%s-%d-%d", tag, tid, sent)
  local slot = sent % 32
  if redeliver_every > 0 and sent % redeliver_every == 0 and recent[slot] then
    delivery_id, index = recent[slot][1], recent[slot][2]
  end
  recent[slot] = { delivery_id, index }
  local item = bodies[index]
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitHub-Hookshot/bench",
    ["X-GitHub-Event"] = item.event,
    ["X-GitHub-Delivery"] = delivery_id,
    ["X-Hub-Signature-256"] = item.signature,
  }, item.body)
end

function response(status, headers, body)
  count(status)
end

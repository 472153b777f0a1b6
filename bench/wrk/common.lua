-- Shared by the bench scripts: a wall clock, per-status counts, and a clean stop.
--
-- Each run stops sending `active` seconds after it starts (delay() then holds
-- every connection), and wrk's -d is 2 s longer: every request sent
-- has its answer before wrk exits, so the generator's counts are exact and can
-- be compared with the rows in the database.
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_usec; } bench_timeval;
  int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")

function now()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

local threads = {}
local next_tid = 0

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

statuses = {}
first_sent = nil
last_answer = 0
stop_at = nil

function start_clock(active)
  stop_at = now() + active
end

function delay()
  local t = now()
  if t >= stop_at then
    return 3600000
  end
  if first_sent == nil then
    first_sent = t
  end
  return 0
end

function count(status)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  last_answer = now()
end

function done(summary, latency, requests)
  local totals, first, last = {}, nil, 0
  for _, thread in ipairs(threads) do
    for key, value in pairs(thread:get("statuses")) do
      totals[key] = (totals[key] or 0) + value
    end
    local started = thread:get("first_sent")
    if started and (first == nil or started < first) then
      first = started
    end
    last = math.max(last, thread:get("last_answer"))
  end
  local parts = {}
  for key, value in pairs(totals) do
    table.insert(parts, string.format('"%s": %d', key, value))
  end
  io.write(string.format(
    'BENCH {"statuses": {%s}, "window": %.4f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, ' ..
    '"max_ms": %.3f, "socket_errors": %d, "timeouts": %d}\n',
    table.concat(parts, ", "), last - (first or last),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout))
end

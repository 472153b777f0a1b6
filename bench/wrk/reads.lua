-- GET one URL, optionally with "Authorization: Token <key>"; counts statuses and X-Cache.
--
--   wrk -s bench/wrk/reads.lua <url> -- <active seconds> [token]
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local prepared

function init(args)
  local headers = {}
  if args[2] and args[2] ~= "" then
    headers["Authorization"] = "Token " .. args[2]
  end
  prepared = wrk.format("GET", nil, headers)
  start_clock(tonumber(args[1]))
end

function request()
  return prepared
end

function response(status, headers, body)
  count(status)
  local cache = headers["X-Cache"]
  if cache then
    count("x-cache-" .. cache)
  end
end

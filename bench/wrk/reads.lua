-- GET one URL, optionally with "Authorization: Token <key>", "Accept-Encoding" and "If-None-Match";
-- counts statuses and X-Cache.
--
--   wrk -s bench/wrk/reads.lua <url> -- <active seconds> [token] [accept-encoding] [if-none-match]
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local prepared

function init(args)
  local headers = {}
  if args[2] and args[2] ~= "" then
    headers["Authorization"] = "Token " .. args[2]
  end
  if args[3] and args[3] ~= "" then
    headers["Accept-Encoding"] = args[3]
  end
  if args[4] and args[4] ~= "" then
    headers["If-None-Match"] = args[4]
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

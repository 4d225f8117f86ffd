-- bench/django_admin/load.lua - the requests of bench/admin_bench.py for wrk:
--   wrk ... -s bench/django_admin/load.lua URL -- COOKIE PATH [PREFIX SUFFIX N]
-- Every request carries COOKIE (the logged-in staff user's session). With
-- PREFIX, each request is GET PREFIX<id>SUFFIX with an id drawn uniformly
-- from 1..N (a change form); without it, GET PATH (a change list).

local cookie, path, prefix, suffix, n
local counter = 1

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
end

function init(args)
   cookie, path, prefix, suffix = args[1], args[2], args[3], args[4]
   n = tonumber(args[5] or "10000")
   math.randomseed(os.time() * 1000 + (tid or 0))
end

function request()
   local headers = { ["Cookie"] = cookie, ["Accept"] = "text/html" }
   if prefix and prefix ~= "" then
      return wrk.format("GET", prefix .. math.random(1, n) .. suffix, headers)
   end
   return wrk.format("GET", path, headers)
end

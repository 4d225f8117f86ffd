-- bench/api/load.lua - the requests of bench/api_bench.py for wrk:
--   wrk ... -s bench/api/load.lua URL -- MODE LIST ITEM_PREFIX ITEM_SUFFIX CREATE [N]
-- MODE: list (GET LIST), retrieve (GET ITEM_PREFIX<id>ITEM_SUFFIX), create
-- (POST CREATE, a valid task), patch (PATCH an item: status and priority),
-- invalid (POST CREATE with a blank title and an unknown status). Ids are
-- drawn uniformly from 1..N (default 10000), projects from 1..10.

local mode, list, prefix, suffix, create, n
local json = { ["Content-Type"] = "application/json" }
local counter = 1

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
end

function init(args)
   mode, list, prefix, suffix, create = args[1], args[2], args[3], args[4], args[5]
   n = tonumber(args[6] or "10000")
   math.randomseed(os.time() * 1000 + (tid or 0))
end

function request()
   if mode == "list" then
      return wrk.format("GET", list)
   elseif mode == "retrieve" then
      return wrk.format("GET", prefix .. math.random(1, n) .. suffix)
   elseif mode == "create" then
      return wrk.format("POST", create, json, string.format(
         '{"project":%d,"title":"Task %d","description":"Made by the benchmark",'
         .. '"status":"doing","priority":"high","due":"2026-12-31"}',
         math.random(1, 10), math.random(1, 1000000)))
   elseif mode == "patch" then
      return wrk.format("PATCH", prefix .. math.random(1, n) .. suffix, json,
                        '{"status":"done","priority":"low"}')
   else
      return wrk.format("POST", create, json,
                        '{"project":1,"title":"","status":"later","priority":"high"}')
   end
end

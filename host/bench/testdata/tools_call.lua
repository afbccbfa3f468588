-- wrk script for .ci/bench: POSTs tools/call on the echo tool, with
-- arguments {"message":"hello","repeat_count":2}, in the forms that
-- host/bench/mcp_test.go sends. The environment chooses:
--
--   BENCH_FORM=session   2025-11-25 with BENCH_SESSION as Mcp-Session-Id
--                        (Toolgate, after an initialize done by the caller)
--   BENCH_FORM=modern    2026-07-28, stateless: _meta and Mcp-* headers
--   BENCH_FORM=plain     2025-11-25 without a session (the stateless go-sdk)
--   BENCH_TOKEN=T        when set, "Authorization: Bearer T" on every request
--                        (Toolgate with auth on; the session must have been
--                        opened with the same token)
--   BENCH_CHECK=1        also check every answer (status 200, "hello hello"
--                        in the body); costs time, so only for warm-up
--
-- done() prints one line for the caller to parse:
--   BENCH requests=N rps=R p50_us=P p99_us=Q errors=E bad=B

local form = os.getenv("BENCH_FORM") or "plain"
local check = os.getenv("BENCH_CHECK") == "1"

wrk.method = "POST"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Content-Type"] = "application/json"

local token = os.getenv("BENCH_TOKEN") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local meta = ""
if form == "modern" then
  wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
  wrk.headers["Mcp-Method"] = "tools/call"
  wrk.headers["Mcp-Name"] = "echo"
  meta = ',"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
    .. '"io.modelcontextprotocol/clientCapabilities":{}}'
elseif form == "session" or form == "plain" then
  wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
  if form == "session" then
    local session = os.getenv("BENCH_SESSION") or ""
    if session == "" then
      error("BENCH_FORM=session needs the Mcp-Session-Id in BENCH_SESSION")
    end
    wrk.headers["Mcp-Session-Id"] = session
  end
else
  error("BENCH_FORM must be session, modern or plain, not " .. form)
end

local head = '{"jsonrpc":"2.0","id":'
local tail = ',"method":"tools/call","params":{"name":"echo",'
  .. '"arguments":{"message":"hello","repeat_count":2}' .. meta .. '}}'

-- Every thread has its own Lua state; setup runs in the main one and
-- numbers them, so that request ids never repeat across threads.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  next_id = thread_number * 1000000000
  bad = 0
end

-- Ids differ per request because MCP forbids reusing one in a session;
-- building the request per call costs wrk a little, the same for both
-- servers.
function request()
  next_id = next_id + 1
  return wrk.format(nil, nil, nil, head .. next_id .. tail)
end

if check then
  function response(status, headers, body)
    if status ~= 200 or not body or not body:find("hello hello", 1, true) then
      bad = bad + 1
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local total_bad = 0
  for _, t in ipairs(threads) do
    total_bad = total_bad + (t:get("bad") or 0)
  end
  io.write(string.format("BENCH requests=%d rps=%.1f p50_us=%d p99_us=%d errors=%d bad=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), errors, total_bad))
end

-- keyward as the authentication step of HAProxy (2.6+), which has no forward-auth
-- directive: a Lua action that asks keyward with core.httpclient. See haproxy.cfg.
-- keyward: `original_request: x-original`.
--
--   http-request lua.keyward <keyward address> <verify URI>
--
-- <keyward address> in HAProxy's address syntax: unix@/run/keyward/keyward.sock or
-- 127.0.0.1:8420. <verify URI>: /v1/verify, with keyward's own demands in its query
-- (/v1/verify?peer=worker&scope=runs:write).
--
-- Allowed: sets txn.keyward_key_id, txn.keyward_peer, txn.keyward_scopes and
-- txn.keyward_expires for haproxy.cfg to pass to the API, and txn.keyward_allowed = 1
-- (haproxy.cfg refuses every request without it: a Lua error must not let one through).
-- Refused: answers the client itself with keyward's status, X-Keyward-Code,
-- WWW-Authenticate and Retry-After. keyward answers X-Original-* requests with 401 or 403
-- only (nginx's auth_request needs that) and the real reason in X-Keyward-Code; a
-- THROTTLED (or RATE_LIMITED) client gets 429 here.
-- keyward unreachable: 503, never the API (fail closed).

local function first(headers, name)
  local values = headers and headers[name]
  if values == nil then return nil end
  return values[0] or values[1]
end

-- Every value of a client header, so keyward sees a repeated credential (AMBIGUOUS_KEY).
local function all(values)
  local list = {}
  for _, v in pairs(values) do list[#list + 1] = v end
  return list
end

local function keyward(txn, address, uri)
  local client = txn.http:req_get_headers()
  local headers = {
    -- The original request, from HAProxy itself: a client's own X-Original-* or
    -- X-Forwarded-Uri/-Method are never copied to keyward.
    ["x-original-uri"] = { txn.f:pathq() },
    ["x-original-method"] = { txn.f:method() },
    -- keyward throttles by the last X-Forwarded-For entry: the client's own address.
    ["x-forwarded-for"] = { txn.f:src() },
  }
  for _, name in ipairs({ "x-api-key", "authorization" }) do
    if client[name] then headers[name] = all(client[name]) end
  end

  local answer = core.httpclient():get{ dst = address, url = "http://keyward" .. uri, headers = headers, timeout = 2000 }
  local status = answer and answer.status or 0
  if status >= 200 and status < 300 then
    txn:set_var("txn.keyward_key_id", first(answer.headers, "x-keyward-key-id") or "")
    txn:set_var("txn.keyward_peer", first(answer.headers, "x-keyward-peer") or "")
    txn:set_var("txn.keyward_scopes", first(answer.headers, "x-keyward-scopes") or "")
    txn:set_var("txn.keyward_expires", first(answer.headers, "x-keyward-expires") or "")
    txn:set_var("txn.keyward_allowed", 1)
    return
  end

  local code = (status == 0) and "UNAVAILABLE" or (first(answer.headers, "x-keyward-code") or "DENIED")
  if status == 0 then
    status = 503
  elseif code == "THROTTLED" or code == "RATE_LIMITED" then
    status = 429
  end
  local reply_headers = {
    ["x-keyward-code"] = { code },
    ["cache-control"] = { "no-store" },
    ["content-type"] = { "application/json" },
  }
  local challenge = first(answer and answer.headers, "www-authenticate")
  if challenge then reply_headers["www-authenticate"] = { challenge } end
  for _, name in ipairs({ "retry-after", "ratelimit", "ratelimit-policy" }) do
    local value = first(answer and answer.headers, name)
    if value then reply_headers[name] = { value } end
  end
  txn:done(txn:reply{ status = status, headers = reply_headers,
                      body = '{"valid":false,"code":"' .. code .. '"}' })
end

core.register_action("keyward", { "http-req" }, keyward, 2)

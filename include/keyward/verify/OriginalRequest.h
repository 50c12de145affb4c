#pragma once
// The request a proxy asks keyward about ("may this request to /admin/users go through?"),
// read from the verify request, and the answer style that proxy needs.
//
// Trust model: a proxy describes the original request in one of three families of fields —
// X-Original-URI/-Method (nginx auth_request, the HAProxy action), X-Forwarded-Uri/-Method
// (Caddy forward_auth, Traefik forwardAuth) or the path after /v1/verify (Envoy ext_authz).
// Each shipped proxy config sets its own family, replacing whatever a client sent under
// those names, but passes the client's other headers through. So:
//  - only a trusted peer (trusted_proxies, or the unix socket) is believed at all;
//  - a request carrying two families, a family other than the configured
//    `original_request`, or one field twice is `conflicting`: a client added fields the
//    proxy did not overwrite, and the request is refused rather than guessed at;
//  - an original that is not known (untrusted peer, no fields, an empty URI) leaves `uri`
//    empty, and the caller must not skip route rules because of it.
// Pure; thread-safe.

#include <string_view>

#include "keyward/config/Config.h"
#include "keyward/http/HttpRequest.h"

namespace keyward {

enum class OriginalFamily { None, XOriginal, XForwarded, EnvoyPath };

struct OriginalRequest {
  OriginalFamily family = OriginalFamily::None;  // where it was read from
  std::string_view method;                       // empty: not known
  std::string_view uri;                          // path and query as sent; empty: not known
  bool conflicting = false;
};

// How the asking proxy reads answers, from the fields it sent (whether trusted or not):
//  AuthRequest: nginx auth_request (X-Original-*): head only, and only 200/401/403, since
//               nginx turns any other status into a 500 for the client;
//  HeadersOnly: X-Forwarded-Uri/-Method (Caddy, Traefik): head only (Content-Length: 0),
//               so the proxy can reuse the connection without reading a body;
//  Json:        everyone else: a small JSON body.
enum class AnswerStyle { Json, HeadersOnly, AuthRequest };

AnswerStyle answerStyleOf(const HttpRequest& request);

// `verifyPath` is "/v1/verify"; the Envoy family is a request path below it.
OriginalRequest originalRequestOf(const HttpRequest& request, std::string_view verifyPath, bool trustedPeer,
                                  OriginalRequestFrom expected);

}  // namespace keyward

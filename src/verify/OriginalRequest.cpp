#include "keyward/verify/OriginalRequest.h"

namespace keyward {
namespace {

struct FieldCount {
  const HeaderField* first = nullptr;
  int count = 0;
};

FieldCount countField(const HttpRequest& request, std::string_view lowerName) {
  FieldCount found;
  for (std::size_t i = 0; i < request.headerCount; ++i) {
    if (equalsLower(request.headers[i].name, lowerName)) {
      if (!found.first) found.first = &request.headers[i];
      ++found.count;
    }
  }
  return found;
}

OriginalFamily familyExpected(OriginalRequestFrom from) {
  switch (from) {
    case OriginalRequestFrom::XOriginal:
      return OriginalFamily::XOriginal;
    case OriginalRequestFrom::XForwarded:
      return OriginalFamily::XForwarded;
    case OriginalRequestFrom::EnvoyPath:
      return OriginalFamily::EnvoyPath;
    case OriginalRequestFrom::Auto:
      break;
  }
  return OriginalFamily::None;
}

}  // namespace

AnswerStyle answerStyleOf(const HttpRequest& request) {
  if (request.findHeader("x-original-uri") || request.findHeader("x-original-method")) return AnswerStyle::AuthRequest;
  if (request.findHeader("x-forwarded-uri") || request.findHeader("x-forwarded-method"))
    return AnswerStyle::HeadersOnly;
  return AnswerStyle::Json;
}

OriginalRequest originalRequestOf(const HttpRequest& request, std::string_view verifyPath, bool trustedPeer,
                                  OriginalRequestFrom expected) {
  OriginalRequest original;
  // From anyone else the fields are ignored: a client cannot choose what a route rule sees.
  if (!trustedPeer) return original;

  const FieldCount originalUri = countField(request, "x-original-uri");
  const FieldCount originalMethod = countField(request, "x-original-method");
  const FieldCount forwardedUri = countField(request, "x-forwarded-uri");
  const FieldCount forwardedMethod = countField(request, "x-forwarded-method");
  const bool hasXOriginal = originalUri.count + originalMethod.count > 0;
  const bool hasXForwarded = forwardedUri.count + forwardedMethod.count > 0;
  const bool hasEnvoyPath = request.path.size() > verifyPath.size();

  int families = 0;
  if (hasXOriginal) {
    ++families;
    original.family = OriginalFamily::XOriginal;
    if (originalUri.first) original.uri = originalUri.first->value;
    if (originalMethod.first) original.method = originalMethod.first->value;
  }
  if (hasXForwarded) {
    ++families;
    original.family = OriginalFamily::XForwarded;
    if (forwardedUri.first) original.uri = forwardedUri.first->value;
    if (forwardedMethod.first) original.method = forwardedMethod.first->value;
  }
  if (hasEnvoyPath) {
    ++families;
    original.family = OriginalFamily::EnvoyPath;
    original.method = request.method;
    original.uri = request.target.substr(request.target.find(verifyPath) + verifyPath.size());
  }
  const bool repeated =
      originalUri.count > 1 || originalMethod.count > 1 || forwardedUri.count > 1 || forwardedMethod.count > 1;
  const OriginalFamily wanted = familyExpected(expected);
  original.conflicting =
      families > 1 || repeated || (wanted != OriginalFamily::None && families == 1 && original.family != wanted);
  if (original.conflicting) {
    original.method = {};
    original.uri = {};
  }
  return original;
}

}  // namespace keyward

#include "controller/net/http_client.h"

namespace ebb::net {

std::vector<Result<HttpResponse>> HttpClient::SendAll(std::span<const HttpRequest> requests,
                                                      std::size_t /*max_in_flight*/) {
  std::vector<Result<HttpResponse>> out;
  out.reserve(requests.size());
  for (const HttpRequest& r : requests) out.push_back(Send(r));
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

ErrorCode CodeForHttpStatus(long status) {  // NOLINT(google-runtime-int)
  if (status == 401 || status == 403) return ErrorCode::kPermissionDenied;
  if (status == 404) return ErrorCode::kNotFound;
  if (status == 408 || status == 504) return ErrorCode::kTimeout;
  if (status == 429 || status >= 500) return ErrorCode::kUnavailable;
  if (status >= 400) return ErrorCode::kInvalidConfig;
  return ErrorCode::kInternal;
}

}  // namespace ebb::net

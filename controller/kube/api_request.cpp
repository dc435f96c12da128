#include "controller/kube/api_request.h"

#include <vector>

#include "controller/kube/kube_client.h"

namespace ebb::kube {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view s = path.substr(0, slash);
    if (!s.empty()) out.push_back(s);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool QueryHas(std::string_view query, std::string_view param) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    if (query.substr(0, amp) == param) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace

std::string ApiRequest::Label() const {
  if (resource.empty()) return path;
  std::string label = resource;
  if (!group.empty()) label += "." + group;
  if (!subresource.empty()) label += "/" + subresource;
  return label;
}

std::string ApiRequest::Permission() const {
  if (resource.empty()) return "cannot " + verb + " path \"" + path + "\"";
  std::string out = "cannot " + verb + " resource \"" + resource;
  if (!subresource.empty()) out += "/" + subresource;
  out += "\" in API group \"" + group + "\" ";
  out += ns.empty() ? "at the cluster scope" : "in the namespace \"" + ns + "\"";
  return out;
}

// The same reading of a path as the API server's RequestInfoFactory, for the paths a client
// sends: /api/v1/..., /apis/GROUP/VERSION/..., then [namespaces/NS/]RESOURCE[/NAME[/SUB]].
ApiRequest DescribeRequest(Verb verb, std::string_view full_path, bool watch) {
  ApiRequest r;
  const auto q = full_path.find('?');
  const std::string_view path = full_path.substr(0, q);
  const std::string_view query =
      q == std::string_view::npos ? std::string_view() : full_path.substr(q + 1);
  watch = watch || QueryHas(query, "watch=1") || QueryHas(query, "watch=true");
  r.path = std::string(path);
  const auto seg = Segments(path);
  std::size_t i = 0;
  if (seg.size() >= 2 && seg[0] == "api") {
    i = 2;
  } else if (seg.size() >= 3 && seg[0] == "apis") {
    r.group = std::string(seg[1]);
    i = 3;
  } else {
    i = seg.size();  // /version, /healthz, /api, /apis, /apis/GROUP: no resource
  }
  std::string name;
  if (i < seg.size()) {
    if (seg[i] == "namespaces" && i + 2 < seg.size()) {
      r.ns = std::string(seg[i + 1]);
      i += 2;
    } else if (seg[i] == "namespaces" && i + 1 < seg.size()) {
      r.ns = std::string(seg[i + 1]);  // the Namespace object itself
    }
    r.resource = std::string(seg[i]);
    if (i + 1 < seg.size()) name = std::string(seg[i + 1]);
    if (i + 2 < seg.size()) r.subresource = std::string(seg[i + 2]);
  }
  switch (verb) {
    case Verb::kGet:
      r.verb = r.resource.empty() ? "get" : watch ? "watch" : name.empty() ? "list" : "get";
      break;
    case Verb::kPost:
      r.verb = r.resource.empty() ? "post" : "create";
      break;
    case Verb::kPut:
      r.verb = r.resource.empty() ? "put" : "update";
      break;
    case Verb::kPatch:
      r.verb = "patch";
      break;
    case Verb::kDelete:
      r.verb = name.empty() && !r.resource.empty() ? "deletecollection" : "delete";
      break;
  }
  return r;
}

}  // namespace ebb::kube

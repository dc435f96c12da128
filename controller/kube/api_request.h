// What an API server request is, in RBAC's words: the verb (list, watch, get, create, update,
// patch, delete), the resource with its API group and subresource, and the namespace. Failed
// calls are logged, counted and explained in these terms, so a 403 reads like
// `kubectl auth can-i` and names the rule to grant.
#pragma once

#include <string>
#include <string_view>

#include "controller/base/time.h"

namespace ebb::kube {

enum class Verb;

struct ApiRequest {
  std::string verb;         // RBAC verb: list, watch, get, create, update, patch, delete
  std::string group;        // "" for the core group
  std::string resource;     // "autoscalers", "deployments"; "" for a non-resource path
  std::string subresource;  // "status", "scale" or ""
  std::string ns;           // "" at the cluster scope
  std::string path;         // the path without its query (non-resource requests are named by it)

  // "autoscalers.ebb.dev/status", "pods", "deployments.apps/scale": the metrics' resource label.
  std::string Label() const;
  // `cannot list resource "autoscalers" in API group "ebb.dev" at the cluster scope`, the words
  // the API server and `kubectl auth can-i` use for the missing permission.
  std::string Permission() const;
};

// `path` as sent ("/apis/ebb.dev/v1alpha1/namespaces/a/autoscalers/x/status?..."), with the HTTP
// method; `watch` for a streaming GET.
ApiRequest DescribeRequest(Verb verb, std::string_view path, bool watch = false);

// One finished request, as the client reports it to its observer.
struct ApiCall {
  ApiRequest request;
  long code = 0;        // NOLINT(google-runtime-int): HTTP status; 0 when there was no answer
  Duration elapsed{0};  // for a watch, until the stream opened (or failed)
  std::string error;    // empty on 2xx; else the server's Status message or the transport
                        // error, valid UTF-8 and bounded
};

}  // namespace ebb::kube

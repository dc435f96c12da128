// kubeconfig files (kube/kube_config LoadKubeconfig): read from a scratch file as from
// ~/.kube/config, with the named context and with current-context. A config is loaded or refused
// with a message naming the file; a loaded one has a server; base64 blobs decode or are refused.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "controller/kube/kube_config.h"
#include "fuzz/fuzz_check.h"

namespace {

const std::string& ScratchPath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/ebb-fuzz-kubeconfig-" +
           std::to_string(getpid()) + ".yaml";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  const std::string_view text = fuzz::AsText(data, size);
  const std::string& path = ScratchPath();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  fuzz::Check(f != nullptr, "cannot write the scratch kubeconfig", path);
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  const bool utf8 = IsValidUtf8(text);
  for (const char* context : {"", "dev"}) {
    const auto c = kube::LoadKubeconfig(path, context);
    if (!c) {
      if (utf8) fuzz::CheckMessage(c.error().message);
      continue;
    }
    fuzz::Check(!c->server.empty() && c->server.back() != '/',
                "a server that is empty or ends in /");
  }
  // The *-data fields' decoder on its own: never more bytes out than in.
  if (const auto d = kube::DecodeBase64(std::string(text)))
    fuzz::Check(d->size() <= size, "base64 grew");
  std::remove(path.c_str());
  return 0;
}

// A kubeconfig is a document like any other: the same limits, and a member of the wrong kind is
// an error naming the file, not an exception out of LoadKubeconfig (on 15046eb a scalar in
// `contexts` or a mapping as a name threw YAML::BadSubscript / BadConversion to the caller).
#include "controller/kube/kube_config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

using namespace ebb;

TEST_CASE("kubeconfig: hostile or malformed files are errors naming the file",
          "[unit][kubeconfig]") {
  const std::string path = "/tmp/ebb-kc-hostile-" + std::to_string(::getpid()) + ".yaml";
  struct Row {
    const char* name;
    std::string text;
    const char* message;
  };
  std::string laughs = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const std::string prev(1, static_cast<char>(c - 1));
    laughs += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) laughs += (i ? ",*" : "*") + prev;
    laughs += "]\n";
  }
  const Row rows[] = {
      {"billion laughs", laughs, "anchors and aliases would copy more than 100000 values"},
      {"duplicate key", "current-context: a\ncurrent-context: b\n",
       "line 2, column 1: current-context: duplicate key (first at line 1)"},
      {"oversized", "# " + std::string(2 << 20, 'x') + "\n", "larger than 1048576 bytes"},
      {"a scalar in contexts", "current-context: c\ncontexts: [c]\n", "no context named \"c\""},
      {"a mapping as a name", "current-context: c\ncontexts: [{name: {a: 1}}]\n",
       "no context named \"c\""},
      {"a scalar document", "just text\n", "malformed at line 1"},
      {"a scalar context", "current-context: c\ncontexts: [{name: c, context: x}]\n",
       "malformed at line 2"},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    std::ofstream(path, std::ios::trunc) << row.text;
    auto r = kube::LoadKubeconfig(path);
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().message.rfind("kubeconfig " + path, 0) == 0);
    CHECK(r.error().message.find(row.message) != std::string::npos);
  }
  std::remove(path.c_str());
}

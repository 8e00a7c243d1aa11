// docs/openapi.yaml and the route table must list the same (method, path) pairs.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "api/openapi.h"
#include "api/router.h"

namespace certseal::api {
namespace {

using Endpoint = std::pair<std::string, std::string>;  // method (upper), path

// Reads the `paths:` block: a path is a 2-space-indented key starting with '/', an operation a
// 4-space-indented HTTP method key under it. The document is ours, so this narrow reading of
// YAML is enough; a top-level key ends the block.
std::set<Endpoint> documented(std::string_view doc) {
  std::set<Endpoint> out;
  std::istringstream in{std::string(doc)};
  std::string line, path;
  bool in_paths = false;
  static const std::set<std::string> kMethods = {"get", "post", "put", "patch", "delete"};
  while (std::getline(in, line)) {
    if (line.rfind("paths:", 0) == 0) {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ' && line[0] != '#') break;
    if (line.rfind("  /", 0) == 0 && line.back() == ':') {
      path = line.substr(2, line.size() - 3);
      continue;
    }
    if (line.rfind("    ", 0) == 0 && line.size() > 5 && line[4] != ' ' && line.back() == ':') {
      std::string key = line.substr(4, line.size() - 5);
      if (kMethods.count(key)) {
        for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.insert({key, path});
      }
    }
  }
  return out;
}

TEST(OpenApi, DocumentAndRouteTableAgree) {
  std::set<Endpoint> table;
  for (const auto& r : route_table()) table.insert({std::string(r.method), std::string(r.pattern)});
  std::set<Endpoint> doc = documented(openapi_document());
  ASSERT_FALSE(doc.empty());
  for (const auto& e : table) {
    EXPECT_TRUE(doc.count(e)) << e.first << " " << e.second << " is routed but not in docs/openapi.yaml";
  }
  for (const auto& e : doc) {
    EXPECT_TRUE(table.count(e)) << e.first << " " << e.second << " is documented but not routed";
  }
}

TEST(OpenApi, TheCheckSeesAMissingRoute) {
  // Guard against a reader that finds nothing and so agrees with everything.
  std::string doc = "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      x: 1\n  /b/{id}:\n    post:\n"
                    "      y: 2\ncomponents:\n  /c:\n    get:\n";
  auto d = documented(doc);
  EXPECT_EQ(d, (std::set<Endpoint>{{"GET", "/a"}, {"POST", "/b/{id}"}}));
}

TEST(OpenApi, IsServedAsOpenApi31) {
  EXPECT_EQ(openapi_document().rfind("openapi: 3.1.0", 0), 0u);
}

}  // namespace
}  // namespace certseal::api

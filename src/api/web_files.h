// The web apps' static files (web/app, later web/console), built by Vite and served by certseald
// (docs/WEBAPP.md). Each app is a folder loaded into memory once at start; requests never touch
// the file system, so a request path can never escape the folder.
//
//   GET /app            → 301 to /app/
//   GET /app/           → index.html                      Cache-Control: no-cache
//   GET /app/assets/…   → hashed build output             Cache-Control: public, max-age=31536000, immutable
//   GET /app/<other>    → that file (no-cache); a path without a dot that names no file gets
//                         index.html (client-side routes); anything else 404 not_found.
//
// A file `x.gz` beside `x` (written by the app's build) is sent instead of `x`, with
// Content-Encoding: gzip, when the request accepts gzip; every answer carries Vary:
// Accept-Encoding, X-Content-Type-Options: nosniff and the app's Content-Security-Policy
// (scripts from the app's origin only; WebAssembly allowed for Argon2/SM3; no framing).
//
// Contract: load() reads the folder; afterwards the object is immutable and thread-safe.
// Errors of load(): web_dir (missing folder or no index.html), io, web_too_large.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/router.h"
#include "base/result.h"

namespace certseal::api {

class WebFiles {
 public:
  static constexpr std::size_t kMaxFiles = 2000;
  static constexpr std::size_t kMaxBytes = 64u << 20;

  // Loads every regular file below `dir` (symbolic links are not followed).
  static Result<WebFiles> load(const std::filesystem::path& dir);

  // `rel`: the (percent-decoded) request path below the mount, "" for the index.
  // `accept_encoding`: the request's Accept-Encoding header.
  // Errors: not_found (a file name with an extension that is not in the app).
  Result<Reply> serve(std::string_view rel, std::string_view accept_encoding) const;

  std::size_t files() const { return files_.size(); }

 private:
  struct File {
    std::string body;
    std::optional<std::string> gzip;  // the build's precompressed copy
    std::string content_type;
  };
  std::map<std::string, File, std::less<>> files_;
};

// The content type for a file name's extension (application/octet-stream when unknown).
std::string_view web_content_type(std::string_view name);

// GET /app, /app/ and /app/{path+}: 404 web_app_not_built when certseald runs without web.app_dir.
Result<Reply> get_web_app_redirect(RequestContext& ctx);
Result<Reply> get_web_app_index(RequestContext& ctx);
Result<Reply> get_web_app_file(RequestContext& ctx);

// GET /console, /console/ and /console/{path+}: the operator console (web.console_dir), the same
// rules; 404 web_console_not_built without it.
Result<Reply> get_web_console_redirect(RequestContext& ctx);
Result<Reply> get_web_console_index(RequestContext& ctx);
Result<Reply> get_web_console_file(RequestContext& ctx);

}  // namespace certseal::api

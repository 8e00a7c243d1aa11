#include "api/web_files.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>

#include "api/services.h"

namespace certseal::api {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";
// Vant sets style attributes, so inline styles are allowed; scripts only from this origin;
// 'wasm-unsafe-eval' lets hash-wasm compile Argon2id and SM3; camera frames and pictures come as
// blob: and data: URLs; Vant's icon font is a data: URL.
constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob: mediastream:; "
    "connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool accepts_gzip(std::string_view accept_encoding) {
  // RFC 9110 §12.5.3: "gzip" (or "*") with a q-value above 0.
  while (!accept_encoding.empty()) {
    std::size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    std::string compact;
    for (char c : item) {
      if (c != ' ' && c != '\t')
        compact += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string_view token(compact);
    std::string_view name = token.substr(0, token.find(';'));
    if (name != "gzip" && name != "*") continue;
    std::size_t q = token.find(";q=");
    if (q == std::string_view::npos) return true;
    std::string_view value = token.substr(q + 3);
    if (value.find_first_not_of("0.") != std::string_view::npos) return true;  // some digit above 0
  }
  return false;
}

Result<std::string> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error(ErrorKind::kInternal, "io", "cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return Error(ErrorKind::kInternal, "io", "cannot read " + p.string());
  return ss.str();
}

Reply with_common_headers(Reply r) {
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  return r;
}

}  // namespace

std::string_view web_content_type(std::string_view name) {
  struct Type {
    std::string_view ext, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".wasm", "application/wasm"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  for (const auto& t : kTypes) {
    if (ends_with(name, t.ext)) return t.type;
  }
  return "application/octet-stream";
}

Result<WebFiles> WebFiles::load(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return invalid_argument("web_dir", "the web app folder " + dir.string() + " does not exist");
  }
  if (!fs::is_regular_file(dir / "index.html", ec)) {
    return invalid_argument(
        "web_dir", "the web app folder " + dir.string() + " has no index.html (build it first)");
  }
  WebFiles w;
  std::map<std::string, std::string> gz;
  std::size_t total = 0;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec)
    return Error(ErrorKind::kInternal, "io", "cannot list " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec)
      return Error(ErrorKind::kInternal, "io", "cannot list " + dir.string() + ": " + ec.message());
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    if (ec || rel.empty() || rel.front() == '.') continue;
    CS_ASSIGN(std::string body, read_all(it->path()));
    total += body.size();
    if (w.files_.size() + gz.size() >= kMaxFiles || total > kMaxBytes) {
      return invalid_argument("web_too_large",
                              "the web app folder " + dir.string() + " holds too much");
    }
    if (ends_with(rel, ".gz")) {
      gz.emplace(rel.substr(0, rel.size() - 3), std::move(body));
    } else {
      std::string type(web_content_type(rel));
      w.files_.emplace(std::move(rel), File{std::move(body), std::nullopt, std::move(type)});
    }
  }
  for (auto& [name, body] : gz) {
    if (auto f = w.files_.find(name); f != w.files_.end()) f->second.gzip = std::move(body);
  }
  return w;
}

Result<Reply> WebFiles::serve(std::string_view rel, std::string_view accept_encoding) const {
  std::string_view name = rel.empty() ? "index.html" : rel;
  auto f = files_.find(name);
  if (f == files_.end()) {
    // Client-side routes (no dot in the last segment) get the app itself.
    std::string_view last =
        name.substr(name.rfind('/') == std::string_view::npos ? 0 : name.rfind('/') + 1);
    if (last.find('.') != std::string_view::npos) {
      return not_found("not_found", "no such file in the web app");
    }
    f = files_.find("index.html");
    name = "index.html";
  }
  const File& file = f->second;
  Reply r;
  r.status = 200;
  r.content_type = file.content_type;
  if (file.gzip && accepts_gzip(accept_encoding)) {
    r.body = *file.gzip;
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = file.body;
  }
  const bool hashed = name.rfind("assets/", 0) == 0;
  r.headers.emplace_back("Cache-Control", std::string(hashed ? kImmutable : kRevalidate));
  if (ends_with(name, ".html"))
    r.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
  return with_common_headers(std::move(r));
}

namespace {
// One front end served under its own path: where its files are and what to say when it is not
// built.
struct Mount {
  const WebFiles* Services::*files;
  const char* code;
  const char* missing;
  const char* root;  // the redirect target
};
constexpr Mount kApp{&Services::web_app, "web_app_not_built",
                     "this server has no mobile app to serve (web.app_dir is not set)", "/app/"};
constexpr Mount kConsole{
    &Services::web_console, "web_console_not_built",
    "this server has no operator console to serve (web.console_dir is not set)", "/console/"};

Result<const WebFiles*> files_of(RequestContext& ctx, const Mount& m) {
  const WebFiles* w = ctx.services().*m.files;
  if (!w) return not_found(m.code, m.missing);
  return w;
}

Result<Reply> redirect(RequestContext& ctx, const Mount& m) {
  CS_TRY(files_of(ctx, m));
  Reply r = Reply::text("", "text/plain; charset=utf-8", 301);
  r.headers.emplace_back("Location", m.root);
  return r;
}

Result<Reply> serve(RequestContext& ctx, const Mount& m, std::string_view path) {
  CS_ASSIGN(const WebFiles* w, files_of(ctx, m));
  return w->serve(path, ctx.request().header("Accept-Encoding"));
}
}  // namespace

Result<Reply> get_web_app_redirect(RequestContext& ctx) {
  return redirect(ctx, kApp);
}
Result<Reply> get_web_app_index(RequestContext& ctx) {
  return serve(ctx, kApp, "");
}
Result<Reply> get_web_app_file(RequestContext& ctx) {
  return serve(ctx, kApp, ctx.param("path"));
}
Result<Reply> get_web_console_redirect(RequestContext& ctx) {
  return redirect(ctx, kConsole);
}
Result<Reply> get_web_console_index(RequestContext& ctx) {
  return serve(ctx, kConsole, "");
}
Result<Reply> get_web_console_file(RequestContext& ctx) {
  return serve(ctx, kConsole, ctx.param("path"));
}

}  // namespace certseal::api

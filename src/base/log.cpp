#include "base/log.h"

namespace certseal {

std::string_view to_string(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

LogLevel parse_log_level(std::string_view s, bool* ok) {
  if (ok) *ok = true;
  if (s == "debug") return LogLevel::kDebug;
  if (s == "info") return LogLevel::kInfo;
  if (s == "warn") return LogLevel::kWarn;
  if (s == "error") return LogLevel::kError;
  if (ok) *ok = false;
  return LogLevel::kInfo;
}

JsonLinesLogger::JsonLinesLogger(const Clock& clock, LogLevel min_level, std::FILE* out)
    : clock_(clock), min_(min_level), out_(out) {}

std::unique_ptr<JsonLinesLogger> JsonLinesLogger::open_file(const Clock& clock, LogLevel min_level,
                                                            const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return nullptr;
  auto l = std::make_unique<JsonLinesLogger>(clock, min_level, f);
  l->owned_ = true;
  return l;
}

JsonLinesLogger::~JsonLinesLogger() {
  if (owned_ && out_) std::fclose(out_);
}

namespace {
std::string render(const Clock& clock, LogLevel level, std::string_view msg, nlohmann::json fields) {
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = format_rfc3339_ms(clock.now());
  line["level"] = to_string(level);
  line["msg"] = msg;
  if (fields.is_object()) {
    for (auto& [k, v] : fields.items()) line[k] = std::move(v);
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

void JsonLinesLogger::write(LogLevel level, std::string_view msg, nlohmann::json fields) {
  std::string s = render(clock_, level, msg, std::move(fields));
  s += '\n';
  std::lock_guard lock(mu_);
  std::fwrite(s.data(), 1, s.size(), out_);
  std::fflush(out_);
}

void MemoryLogger::write(LogLevel level, std::string_view msg, nlohmann::json fields) {
  static SystemClock clock;
  std::string s = render(clock, level, msg, std::move(fields));
  std::lock_guard lock(mu_);
  lines_.push_back(std::move(s));
}

std::vector<std::string> MemoryLogger::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

}  // namespace certseal

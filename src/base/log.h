// Structured logging as JSON lines: one object per line with "ts", "level", "msg" and the
// caller's fields (request_id, route, status, ...). Loggers are injected, never global.
// Contract: write() is thread-safe; fields must not contain secrets (passwords, key shares).
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"

namespace certseal {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
std::string_view to_string(LogLevel l);
// "debug" | "info" | "warn" | "error"; anything else gives kInfo and ok=false.
LogLevel parse_log_level(std::string_view s, bool* ok = nullptr);

class Logger {
 public:
  virtual ~Logger() = default;
  virtual bool enabled(LogLevel level) const = 0;
  virtual void write(LogLevel level, std::string_view msg, nlohmann::json fields) = 0;

  void debug(std::string_view m, nlohmann::json f = nlohmann::json::object()) {
    if (enabled(LogLevel::kDebug)) write(LogLevel::kDebug, m, std::move(f));
  }
  void info(std::string_view m, nlohmann::json f = nlohmann::json::object()) {
    if (enabled(LogLevel::kInfo)) write(LogLevel::kInfo, m, std::move(f));
  }
  void warn(std::string_view m, nlohmann::json f = nlohmann::json::object()) {
    if (enabled(LogLevel::kWarn)) write(LogLevel::kWarn, m, std::move(f));
  }
  void error(std::string_view m, nlohmann::json f = nlohmann::json::object()) {
    if (enabled(LogLevel::kError)) write(LogLevel::kError, m, std::move(f));
  }
};

// Writes JSON lines to a FILE* it does not own (stderr by default) or to a file it opens.
class JsonLinesLogger final : public Logger {
 public:
  JsonLinesLogger(const Clock& clock, LogLevel min_level, std::FILE* out = stderr);
  // Opens path for appending; returns nullptr if it cannot.
  static std::unique_ptr<JsonLinesLogger> open_file(const Clock& clock, LogLevel min_level,
                                                    const std::string& path);
  ~JsonLinesLogger() override;
  bool enabled(LogLevel level) const override { return level >= min_; }
  void write(LogLevel level, std::string_view msg, nlohmann::json fields) override;

 private:
  const Clock& clock_;
  LogLevel min_;
  std::FILE* out_;
  bool owned_ = false;
  std::mutex mu_;
};

// Keeps lines in memory (tests).
class MemoryLogger final : public Logger {
 public:
  bool enabled(LogLevel) const override { return true; }
  void write(LogLevel level, std::string_view msg, nlohmann::json fields) override;
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace certseal

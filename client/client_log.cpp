#include "client/client_log.h"

#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "client/device_store.h"

namespace certseal::client {
namespace {

constexpr std::uintmax_t kMaxLogBytes = 1 << 20;

fs::path settings_path(const fs::path& dir) { return dir / "settings.json"; }
fs::path log_path(const fs::path& dir) { return dir / "client.log"; }

Result<nlohmann::json> read_settings(const fs::path& dir) {
  CS_ASSIGN(auto text, read_text_file(settings_path(dir)));
  if (!text) return nlohmann::json::object();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return invalid_argument("bad_settings", settings_path(dir).string() + " is not a JSON object");
  return j;
}

void collect_path(const CLI::App& app, std::vector<std::string>& out) {
  for (const CLI::App* s : app.get_subcommands()) {
    if (s->parsed()) {
      out.push_back(s->get_name());
      collect_path(*s, out);
      return;
    }
  }
}

}  // namespace

Result<bool> logs_enabled(const fs::path& data_dir) {
  CS_ASSIGN(auto j, read_settings(data_dir));
  return j.value("logs", false);
}

Status set_logs_enabled(const fs::path& data_dir, bool on) {
  CS_ASSIGN(auto j, read_settings(data_dir));
  j["logs"] = on;
  CS_TRY(ensure_private_dir(data_dir));
  return write_file_atomic(settings_path(data_dir), j.dump(2) + "\n");
}

std::vector<std::string> command_path(const CLI::App& app) {
  std::vector<std::string> out;
  collect_path(app, out);
  return out;
}

void record_command(const std::string& data_dir_flag, const std::vector<std::string>& path,
                    const Result<nlohmann::json>& outcome) {
  auto dir = resolve_data_dir(data_dir_flag);
  if (!dir) return;
  auto on = logs_enabled(*dir);
  if (!on || !*on) return;
  std::string command;
  for (const auto& p : path) command += (command.empty() ? "" : " ") + p;
  nlohmann::json line = {{"at", format_rfc3339_ms(SystemClock().now())}, {"command", command}};
  if (outcome) {
    line["result"] = "ok";
  } else {
    line["result"] = "error";
    line["error"] = outcome.error().code;
  }
  const fs::path p = log_path(*dir);
  std::error_code ec;
  if (fs::exists(p, ec) && fs::file_size(p, ec) >= kMaxLogBytes) {
    fs::rename(p, fs::path(p.string() + ".1"), ec);
  }
  std::ofstream out(p, std::ios::app);
  if (!out) return;
  out << line.dump() << "\n";
  out.close();
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write, ec);
}

Result<nlohmann::json> read_log(const fs::path& data_dir) {
  nlohmann::json items = nlohmann::json::array();
  for (const fs::path& p : {fs::path(log_path(data_dir).string() + ".1"), log_path(data_dir)}) {
    CS_ASSIGN(auto text, read_text_file(p));
    if (!text) continue;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object()) items.push_back(std::move(j));
    }
  }
  return items;
}

}  // namespace certseal::client

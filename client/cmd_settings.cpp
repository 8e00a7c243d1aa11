// `certseal about | update | agreement | privacy | logs` (cmd_settings.h).
#include "client/cmd_settings.h"

#include <cctype>
#include <iostream>

#include "base/clock.h"
#include "base/encoding.h"
#include "base/version.h"
#include "client/client_log.h"
#include "client/device_store.h"
#include "client/messages.h"
#include "pki/cms_enveloped.h"

#ifndef CERTSEAL_CLIENT_VERSION
#error "CERTSEAL_CLIENT_VERSION is set by client/CMakeLists.txt"
#endif

namespace certseal::client::cli {
namespace {

constexpr const char* kClientVersion = CERTSEAL_CLIENT_VERSION;

std::string say(const char* zh, const char* en) { return language() == Language::kEn ? en : zh; }

struct SettingsArgs {
  std::string business = "legacy", kind, out;
};

Status check_business(const std::string& b) {
  if (b == "legacy" || b == "cloudkey" || b == "unified") return {};
  return invalid_argument("usage", say("--business 只能是 legacy、cloudkey 或 unified",
                                       "--business must be legacy, cloudkey or unified"));
}

// The business's latest release compared with this client: {current, business, latest?,
// status: up_to_date | update_available | update_required | no_release, ...}.
Result<json> check_update(Ctx& ctx, const std::string& business) {
  CS_TRY(check_business(business));
  CS_ASSIGN(auto* h, ctx.api(false));
  CS_ASSIGN(auto current, parse_version(kClientVersion));
  json out = {{"business", business}, {"current", kClientVersion}};
  auto r = h->call("GET", "/api/v1/client/releases/latest?business=" + business);
  if (!r) {
    if (r.error().code != "release_not_found") return std::move(r).error();
    out["status"] = "no_release";
    return out;
  }
  const std::string latest = str(*r, "version");
  auto v = parse_version(latest);
  if (!v) return unavailable("bad_answer", "the server sent an unusable version: " + latest);
  out["latest"] = latest;
  out["notes"] = str(*r, "notes");
  out["download_url"] = str(*r, "download_url");
  if (!str(*r, "sha256").empty()) out["sha256"] = str(*r, "sha256");
  std::string status = compare_versions(*v, current) > 0 ? "update_available" : "up_to_date";
  if (const std::string min = str(*r, "min_version"); !min.empty()) {
    out["min_version"] = min;
    auto m = parse_version(min);
    if (m && compare_versions(current, *m) < 0) status = "update_required";
  }
  out["status"] = status;
  return out;
}

void print_update(const json& u) {
  const std::string st = str(u, "status");
  if (st == "no_release") {
    std::cout << say("服务器尚未发布该业务的客户端版本", "no release of this client is published yet") << "\n";
  } else if (st == "up_to_date") {
    std::cout << say("已是最新版本 ", "up to date: ") << str(u, "current") << "\n";
  } else {
    std::cout << (st == "update_required" ? say("必须更新：", "update required: ")
                                          : say("有新版本：", "update available: "))
              << str(u, "current") << " → " << str(u, "latest") << "\n"
              << say("下载：", "download: ") << str(u, "download_url") << "\n";
    if (!str(u, "notes").empty()) std::cout << str(u, "notes") << "\n";
  }
}

Result<json> cmd_update_check(Ctx& ctx, const SettingsArgs& a) {
  CS_ASSIGN(auto u, check_update(ctx, a.business));
  if (!ctx.g.json) print_update(u);
  return u;
}

Result<json> cmd_about(Ctx& ctx, const SettingsArgs& a) {
  CS_TRY(check_business(a.business));
  json out = {{"client", "certseal"}, {"version", kClientVersion}, {"business", a.business}};
  CS_ASSIGN(auto dir, resolve_data_dir(ctx.g.data_dir));
  out["data_dir"] = dir.string();
  CS_ASSIGN(auto logs, logs_enabled(dir));
  out["logs"] = logs;
  // The server's side when one is known and answers; about still works offline.
  if (auto h = ctx.api(false); h) {
    out["server"] = (*h)->base_url();
    if (auto info = (*h)->call("GET", "/api/v1/info"); info) out["server_version"] = str(*info, "version");
    if (auto u = check_update(ctx, a.business); u) {
      out["update"] = *u;
    } else {
      out["update_error"] = u.error().code;
    }
  }
  if (!ctx.g.json) {
    std::cout << "certseal " << kClientVersion << say("（数字证书业务客户端）", " (certificate client)") << "\n"
              << say("数据目录：", "data dir: ") << out["data_dir"].get<std::string>() << "\n"
              << say("日志：", "logs: ") << (logs ? say("开", "on") : say("关", "off")) << "\n";
    if (out.contains("server")) {
      std::cout << say("服务器：", "server: ") << out["server"].get<std::string>() << " "
                << out.value("server_version", "") << "\n";
    }
    if (out.contains("update")) print_update(out["update"]);
  }
  return out;
}

Result<json> cmd_agreement(Ctx& ctx, const SettingsArgs& a) {
  for (char c : a.kind) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return invalid_argument("usage", say("协议种类只含字母、数字和下划线", "an agreement kind is letters, digits and _"));
    }
  }
  CS_ASSIGN(auto* h, ctx.api(false));
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/agreements/" + a.kind));
  if (!ctx.g.json) {
    std::cout << str(r, "title") << " (v" << r.value("version", 0) << ", " << str(r, "published_at") << ")\n\n"
              << str(r, "body") << "\n";
  }
  return r;
}

Result<json> cmd_personal_info(Ctx& ctx, const SettingsArgs&) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/account/personal-information"));
  if (!ctx.g.json) {
    for (const auto& i : r.value("items", json::array())) {
      std::cout << str(i, "title") << "  " << say("用途：", "purpose: ") << str(i, "purpose") << "  "
                << say("记录数：", "records: ") << i.value("records", 0) << "\n";
    }
  }
  return r;
}

Result<json> cmd_third_parties(Ctx& ctx, const SettingsArgs&) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/account/third-parties"));
  if (!ctx.g.json) {
    for (const auto& i : r.value("items", json::array())) {
      std::cout << str(i, "name") << "  " << say("用途：", "purpose: ") << str(i, "purpose") << "  "
                << say("共享：", "shares: ") << str(i, "data_shared") << "\n";
    }
  }
  return r;
}

Result<json> cmd_logs_switch(Ctx& ctx, bool on) {
  CS_ASSIGN(auto dir, resolve_data_dir(ctx.g.data_dir));
  CS_TRY(set_logs_enabled(dir, on));
  if (!ctx.g.json) std::cout << (on ? say("日志已开启", "logs are on") : say("日志已关闭", "logs are off")) << "\n";
  return json{{"logs", on}};
}

Result<json> cmd_logs_status(Ctx& ctx, const SettingsArgs&) {
  CS_ASSIGN(auto dir, resolve_data_dir(ctx.g.data_dir));
  CS_ASSIGN(auto on, logs_enabled(dir));
  CS_ASSIGN(auto items, read_log(dir));
  if (!ctx.g.json) {
    std::cout << (on ? say("日志：开", "logs: on") : say("日志：关", "logs: off")) << "  "
              << say("记录数：", "entries: ") << items.size() << "\n";
  }
  return json{{"logs", on}, {"entries", items.size()}};
}

// The log, encrypted to the business's support certificate: only the support key opens it.
Result<json> cmd_logs_export(Ctx& ctx, const SettingsArgs& a) {
  CS_TRY(check_business(a.business));
  CS_ASSIGN(auto dir, resolve_data_dir(ctx.g.data_dir));
  CS_ASSIGN(auto items, read_log(dir));
  CS_ASSIGN(auto* h, ctx.api(false));
  CS_ASSIGN(auto sc, h->call("GET", "/api/v1/client/support-certificate?business=" + a.business));
  CS_ASSIGN(auto blocks, pem_decode_all(str(sc, "certificate_pem")));
  if (blocks.size() != 1) return unavailable("bad_answer", "the server sent no support certificate");
  const std::string text = json{{"business", a.business},
                                {"client_version", kClientVersion},
                                {"exported_at", format_rfc3339(SystemClock().now())},
                                {"items", items}}
                               .dump();
  CS_ASSIGN(auto env, pki::cms::enveloped_data(pki::cms::Form::kRfc5652, blocks.front().der,
                                               as_bytes(text), ctx.rng));
  const fs::path out = a.out;
  if (out.has_parent_path() && !fs::is_directory(out.parent_path())) {
    return invalid_argument("usage", say("输出目录不存在：", "no such folder: ") + out.parent_path().string());
  }
  CS_TRY(write_file_atomic(out, to_string(env)));
  if (!ctx.g.json) {
    std::cout << say("已导出加密日志：", "encrypted log exported: ") << out.string() << " (" << items.size()
              << say(" 条)", " entries)") << "\n";
  }
  return json{{"out", out.string()}, {"entries", items.size()}, {"business", a.business}};
}

struct SettingsCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  SettingsArgs a;

  void on(CLI::App* cmd, Result<json> (*fn)(Ctx&, const SettingsArgs&)) {
    cmd->callback([this, fn] { action = [this, fn] { return fn(ctx, a); }; });
  }
  void business_option(CLI::App* cmd) {
    cmd->add_option("--business", a.business, "legacy (default), cloudkey or unified");
  }

  SettingsCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* about = sub(&app, "about", "this client's version, the server's, and whether an update exists (关于)");
    business_option(about);
    on(about, cmd_about);
    CLI::App* update = sub(&app, "update", "update check (版本更新)");
    update->require_subcommand(1);
    CLI::App* check = sub(update, "check", "compare this client with the server's latest release");
    business_option(check);
    on(check, cmd_update_check);
    CLI::App* agreement = sub(&app, "agreement", "agreements and the privacy policy (用户协议与隐私政策)");
    agreement->require_subcommand(1);
    CLI::App* show = sub(agreement, "show", "show the current text of an agreement");
    show->add_option("kind", a.kind, "user, privacy, person_verification, organisation")->required();
    on(show, cmd_agreement);
    CLI::App* privacy = sub(&app, "privacy", "what the platform holds and shares (个人信息与第三方共享清单)");
    privacy->require_subcommand(1);
    on(sub(privacy, "personal-info", "the personal-information list of this account"), cmd_personal_info);
    on(sub(privacy, "third-parties", "the third parties the platform shares data with"), cmd_third_parties);
    CLI::App* logs = sub(&app, "logs", "this client's own log: on, off, status, encrypted export (日志)");
    logs->require_subcommand(1);
    sub(logs, "on", "record each command run (names and outcome only)")->callback([this] {
      action = [this] { return cmd_logs_switch(ctx, true); };
    });
    sub(logs, "off", "stop recording")->callback([this] { action = [this] { return cmd_logs_switch(ctx, false); }; });
    on(sub(logs, "status", "whether logs are on, and how many entries there are"), cmd_logs_status);
    CLI::App* exp = sub(logs, "export", "the log encrypted to the platform's support certificate");
    exp->add_option("--out", a.out, "the file to write")->required();
    business_option(exp);
    on(exp, cmd_logs_export);
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_settings_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<SettingsCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli

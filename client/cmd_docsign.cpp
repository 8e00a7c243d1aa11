// `certseal doc …` and the PDF form of `certseal verify` (cmd_docsign.h).
#include "client/cmd_docsign.h"

#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "base/encoding.h"
#include "client/messages.h"
#include "docsign/ofd_package.h"
#include "docsign/pdf_verifier.h"

namespace certseal::client {
namespace {

using json = nlohmann::json;

std::string say(const char* zh, const char* en) { return language() == Language::kEn ? en : zh; }

std::string iso(SysTime t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string alg_name(pki::SigAlg a) {
  switch (a) {
    case pki::SigAlg::kSm2Sm3: return "SM2-SM3";
    case pki::SigAlg::kEcdsaSha256: return "ECDSA-P256-SHA256";
    case pki::SigAlg::kRsaSha256: return "RSA-SHA256";
  }
  return "";
}

std::string yes(bool b) { return b ? say("是", "yes") : say("否", "no"); }

struct DocArgs {
  std::string file;
  std::vector<std::string> trust;
};

}  // namespace

Result<json> verify_pdf_file(const std::string& path, const std::vector<std::string>& trust_pem_files,
                             bool json_output) {
  std::vector<Bytes> roots;
  for (const auto& f : trust_pem_files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) return invalid_argument("usage", say("无法读取文件：", "cannot read file: ") + f);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto blocks = pem_decode_all(ss.str());
    if (!blocks || blocks->empty()) return invalid_argument("usage", say("不是 PEM 证书文件：", "not a PEM certificate file: ") + f);
    for (auto& b : *blocks) roots.push_back(b.der);
  }
  {
    // An OFD is told by its content (a ZIP naming OFD.xml).
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    if (in.read(magic, 4) && std::string_view(magic, 4) == std::string_view("PK\x03\x04", 4)) {
      std::ostringstream ss;
      ss << in.rdbuf();
      std::string all = std::string(magic, 4) + ss.str();
      const Bytes data(all.begin(), all.end());
      if (docsign::sniff_ofd(data)) return verify_ofd_bytes(data, roots, json_output);
    }
  }
  CS_ASSIGN(auto reports, docsign::verify_pdf(path, roots));
  if (reports.empty()) return invalid_argument("no_signatures", say("文件中没有签名", "the file has no signatures"));
  json out = json::array();
  bool all_ok = true;
  for (const auto& r : reports) {
    json j = {{"field", r.field_name},
              {"signer", r.signer},
              {"sub_filter", r.sub_filter},
              {"algorithm", r.alg ? alg_name(*r.alg) : ""},
              {"claimed_time", r.claimed_time ? iso(*r.claimed_time) : ""},
              {"timestamp_time", r.timestamp_time ? iso(*r.timestamp_time) : ""},
              {"has_timestamp", r.has_timestamp},
              {"timestamp_valid", r.timestamp_valid},
              {"bytes_intact", r.bytes_intact},
              {"signature_valid", r.signature_valid},
              {"signing_certificate_bound", r.signing_certificate_bound},
              {"certificate_trusted", r.certificate_trusted},
              {"certificate_valid_then", r.certificate_valid_then},
              {"covers_whole_file", r.covers_whole_file},
              {"later_changes_allowed", r.later_changes_allowed},
              {"seal_data", !r.seseal.empty()},
              {"level", r.level},
              {"dss_present", r.dss_present},
              {"revocation_status", r.revocation_status},
              {"revocation_source", r.revocation_source},
              {"revoked_at", r.revoked_at ? iso(*r.revoked_at) : ""},
              {"revocation_problem", r.revocation_problem},
              {"ok", r.ok()},
              {"problem", r.problem}};
    all_ok = all_ok && r.ok();
    out.push_back(j);
    if (!json_output) {
      std::cout << say("签名 ", "Signature ") << r.field_name << ": " << (r.ok() ? say("有效", "VALID") : say("无效", "NOT VALID"))
                << "\n  " << say("签名人：", "signer: ") << r.signer << "  (" << j["algorithm"].get<std::string>() << ")\n"
                << "  " << say("级别：", "level: ") << "PAdES-" << r.level << "\n"
                << "  " << say("声明时间：", "claimed time: ") << j["claimed_time"].get<std::string>() << "\n"
                << "  " << say("时间戳时间：", "time-stamp time: ")
                << (r.has_timestamp ? (r.timestamp_valid ? j["timestamp_time"].get<std::string>() : say("无效", "invalid"))
                                    : say("无", "none"))
                << "\n  " << say("内容未被篡改：", "bytes intact: ") << yes(r.bytes_intact && r.signature_valid)
                << "\n  " << say("证书可信且当时有效：", "certificate trusted and valid then: ")
                << yes(r.certificate_valid_then) << "\n  " << say("签名后仅有允许的增量更新：", "only allowed changes after: ")
                << yes(r.later_changes_allowed) << "\n  " << say("印章数据：", "seal data: ") << yes(!r.seseal.empty())
                << "\n";
      if (r.dss_present) {
        std::cout << "  " << say("内嵌吊销信息（时间戳时刻，离线）：", "embedded revocation data (at the time-stamp time, offline): ")
                  << (r.revocation_status == "good"      ? say("未吊销", "not revoked")
                      : r.revocation_status == "revoked" ? say("已吊销", "revoked")
                                                         : say("不可用", "not usable"))
                  << (r.revocation_source.empty() ? "" : " (" + r.revocation_source + ")") << "\n";
        if (!r.revocation_problem.empty()) {
          std::cout << "  " << say("未采信的吊销信息：", "revocation data not trusted: ") << r.revocation_problem << "\n";
        }
      }
      if (!r.ok()) std::cout << "  " << say("原因：", "reason: ") << r.problem << "\n";
    }
  }
  if (!all_ok) {
    return invalid_argument("document_signature_invalid", say("文档中有无效的签名", "a signature in the document is not valid"));
  }
  return json{{"signatures", out}};
}

void add_docsign_commands(CLI::App& app, std::function<bool()> json_output, std::function<Result<json>()>& action) {
  auto args = std::make_shared<DocArgs>();
  CLI::App* doc = app.add_subcommand("doc", "signed documents (签章文件)");
  doc->require_subcommand(1);
  CLI::App* v = doc->add_subcommand("verify", "list and check every signature in a PDF");
  v->add_option("file", args->file, "the PDF")->required();
  v->add_option("--trust", args->trust, "PEM file of root certificates to trust (repeatable)");
  v->callback([&action, args, json_output] {
    action = [args, json_output] { return verify_pdf_file(args->file, args->trust, json_output()); };
  });
}

}  // namespace certseal::client

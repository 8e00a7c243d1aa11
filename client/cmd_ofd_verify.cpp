// `certseal verify FILE.ofd`: every GB/T 33190 §18 signature of an OFD package, offline
// (cmd_docsign.h, docsign/ofd_verifier.h).
#include <ctime>
#include <iostream>

#include "client/cmd_docsign.h"
#include "client/messages.h"
#include "docsign/ofd_verifier.h"

namespace certseal::client {
namespace {

std::string say(const char* zh, const char* en) { return language() == Language::kEn ? en : zh; }
std::string yes(bool b) { return b ? say("是", "yes") : say("否", "no"); }

std::string iso(SysTime t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

Result<nlohmann::json> verify_ofd_bytes(BytesView ofd, const std::vector<Bytes>& roots, bool json_output) {
  CS_ASSIGN(auto reports, docsign::verify_ofd(ofd, roots));
  if (reports.empty()) return invalid_argument("no_signatures", say("文件中没有签名", "the file has no signatures"));
  nlohmann::json out = nlohmann::json::array();
  bool all_ok = true;
  for (const auto& r : reports) {
    nlohmann::json j = {{"id", r.id},
                        {"format", "ofd"},
                        {"signature_path", r.signature_path},
                        {"signer", r.signer},
                        {"algorithm", "SM2-SM3"},
                        {"signing_time", r.time ? iso(*r.time) : ""},
                        {"seal_name", r.seal_name},
                        {"seal_id", r.seal_id},
                        {"seal_valid", r.seal_valid},
                        {"seal_file_matches", r.seal_file_matches},
                        {"page_ref", r.page_ref},
                        {"references_intact", r.references_intact},
                        {"changed_files", r.changed_files},
                        {"uncovered_files", r.uncovered_files},
                        {"data_hash_matches", r.data_hash_matches},
                        {"signature_valid", r.signature_valid},
                        {"certificate_trusted", r.certificate_trusted},
                        {"certificate_valid_then", r.certificate_valid_then},
                        {"ok", r.ok()},
                        {"problem", r.problem}};
    all_ok = all_ok && r.ok();
    out.push_back(j);
    if (!json_output) {
      std::cout << say("签名 ", "Signature ") << r.id << " (" << r.signature_path
                << "): " << (r.ok() ? say("有效", "VALID") : say("无效", "NOT VALID")) << "\n  "
                << say("签名人：", "signer: ") << r.signer << "  (SM2-SM3, GB/T 38540)\n  "
                << say("印章：", "seal: ") << r.seal_name << " [" << r.seal_id << "] "
                << say("印章数据有效：", "seal data valid: ") << yes(r.seal_valid && r.seal_file_matches) << "\n  "
                << say("签章时间：", "signing time: ") << j["signing_time"].get<std::string>() << "\n  "
                << say("所引用文件均未改动：", "every referenced file intact: ") << yes(r.references_intact) << "\n  "
                << say("签名值有效：", "signature value valid: ") << yes(r.signature_valid && r.data_hash_matches) << "\n  "
                << say("证书可信且当时有效：", "certificate trusted and valid then: ")
                << yes(r.certificate_trusted && r.certificate_valid_then) << "\n  "
                << say("签名未覆盖的新增文件：", "files added that it does not cover: ")
                << (r.uncovered_files.empty() ? say("无", "none") : joined(r.uncovered_files)) << "\n";
      if (!r.changed_files.empty()) {
        std::cout << "  " << say("被改动的文件：", "changed files: ") << joined(r.changed_files) << "\n";
      }
      if (!r.ok()) std::cout << "  " << say("原因：", "reason: ") << r.problem << "\n";
    }
  }
  if (!all_ok) {
    return invalid_argument("document_signature_invalid", say("文档中有无效的签名", "a signature in the document is not valid"));
  }
  return nlohmann::json{{"signatures", out}};
}

}  // namespace certseal::client

// SceneService::verify_document: the document verification API (docs/INTEGRATION.md
// "Verifying a signed PDF").
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/encoding.h"
#include "docsign/ofd_package.h"
#include "docsign/ofd_verifier.h"
#include "docsign/pdf_verifier.h"
#include "pki/certificate.h"
#include "pki/signer.h"
#include "service/scene/scene_service.h"

namespace certseal::service {
namespace {

// A private temporary file holding the PDF (the verifier reads files), removed however we leave.
class TempPdf {
 public:
  ~TempPdf() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  Status write(BytesView data) {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/certseal-verify-XXXXXX";
    const int fd = mkstemp(tmpl.data());
    if (fd < 0) return Error(ErrorKind::kInternal, "io_error", "文件读写失败", "mkstemp");
    path_ = tmpl;
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0) {
        ::close(fd);
        return Error(ErrorKind::kInternal, "io_error", "文件读写失败", "write");
      }
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return {};
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

nlohmann::json time_or_null(const std::optional<SysTime>& t) {
  return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}

}  // namespace

Result<nlohmann::json> SceneService::verify_document(BytesView pdf) {
  std::vector<Bytes> roots;
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto rows, tx.query("SELECT issuing_cert FROM pki_ca", {}));
    for (const auto& r : rows) roots.push_back(r.blob("issuing_cert"));
    return {};
  }));
  // The signer's certificate as this platform knows it: issued here, its status now, revoked when.
  auto signer_json = [&](const Bytes& cert, const std::string& subject, std::optional<SysTime> at, bool& valid,
                         std::string& problem) -> Result<nlohmann::json> {
    nlohmann::json signer = {{"subject", subject},
                             {"certificate_pem", cert.empty() ? nlohmann::json(nullptr)
                                                              : nlohmann::json(pem_encode("CERTIFICATE", cert))},
                             {"issued_here", false},
                             {"certificate_id", nullptr},
                             {"status_now", nullptr},
                             {"revoked_at", nullptr}};
    if (cert.empty()) return signer;
    CS_TRY(db_.read([&](store::Tx& tx) -> Status {
      CS_ASSIGN(auto row, tx.query_one("SELECT id, status, revoked_at FROM pki_certificate WHERE der = ?", {cert}));
      if (!row) return {};
      signer["issued_here"] = true;
      signer["certificate_id"] = row->text("id");
      signer["status_now"] = row->text("status");
      if (!row->is_null("revoked_at")) {
        const std::int64_t revoked = row->integer("revoked_at");
        signer["revoked_at"] = format_rfc3339(sys_time_from_unix(revoked));
        const std::int64_t t = at ? std::chrono::duration_cast<std::chrono::seconds>(at->time_since_epoch()).count() : 0;
        if (revoked <= t && valid) {
          valid = false;
          problem = "the certificate was revoked before the signature's time";
        }
      }
      return {};
    }));
    return signer;
  };
  if (docsign::sniff_ofd(pdf)) {
    // OFD (GB/T 33190 §18): docsign/ofd_verifier.h; docs/INTEGRATION.md "Verifying a signed OFD".
    CS_ASSIGN(auto reports, docsign::verify_ofd(pdf, roots));
    nlohmann::json out = nlohmann::json::array();
    bool all_valid = !reports.empty();
    for (const auto& r : reports) {
      bool valid = r.ok();
      std::string problem = r.problem;
      nlohmann::json j = {{"id", r.id},
                          {"type", r.type},
                          {"signature_path", r.signature_path},
                          {"algorithm", "sm2-sm3"},
                          {"signing_time", time_or_null(r.time)},
                          {"seal", {{"name", r.seal_name}, {"id", r.seal_id}, {"valid", r.seal_valid},
                                    {"file_matches", r.seal_file_matches}}},
                          {"page_ref", r.page_ref},
                          {"references_intact", r.references_intact},
                          {"changed_files", r.changed_files},
                          {"uncovered_files", r.uncovered_files},
                          {"data_hash_matches", r.data_hash_matches},
                          {"signature_valid", r.signature_valid},
                          {"certificate_trusted", r.certificate_trusted},
                          {"certificate_valid_then", r.certificate_valid_then}};
      CS_ASSIGN(j["signer"], signer_json(r.signer_cert, r.signer, r.time, valid, problem));
      j["valid"] = valid;
      j["problem"] = problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(problem);
      all_valid = all_valid && valid;
      out.push_back(std::move(j));
    }
    return nlohmann::json{{"valid", all_valid}, {"format", "ofd"}, {"signatures", out}};
  }
  TempPdf file;
  CS_TRY(file.write(pdf));
  CS_ASSIGN(auto reports, docsign::verify_pdf(file.path(), roots));
  nlohmann::json out = nlohmann::json::array();
  bool all_valid = !reports.empty();
  for (const auto& r : reports) {
    bool valid = r.ok();
    std::string problem = r.problem;
    nlohmann::json j = {{"field", r.field_name},
                        {"sub_filter", r.sub_filter},
                        {"algorithm", r.alg ? nlohmann::json(std::string(pki::sig_alg_name(*r.alg))) : nlohmann::json(nullptr)},
                        {"claimed_time", time_or_null(r.claimed_time)},
                        {"timestamp_time", time_or_null(r.timestamp_time)},
                        {"has_timestamp", r.has_timestamp},
                        {"timestamp_valid", r.timestamp_valid},
                        {"bytes_intact", r.bytes_intact},
                        {"signature_valid", r.signature_valid},
                        {"certificate_trusted", r.certificate_trusted},
                        {"certificate_valid_then", r.certificate_valid_then},
                        {"covers_whole_file", r.covers_whole_file},
                        {"later_changes_allowed", r.later_changes_allowed},
                        {"seal_data", r.seseal.empty() ? nlohmann::json(nullptr) : nlohmann::json(base64_encode(r.seseal))},
                        {"level", r.level},
                        {"dss_present", r.dss_present},
                        {"revocation", {{"status", r.revocation_status.empty() ? nlohmann::json(nullptr)
                                                                                 : nlohmann::json(r.revocation_status)},
                                        {"source", r.revocation_source.empty() ? nlohmann::json(nullptr)
                                                                                 : nlohmann::json(r.revocation_source)},
                                        {"revoked_at", time_or_null(r.revoked_at)},
                                        {"problem", r.revocation_problem.empty() ? nlohmann::json(nullptr)
                                                                                   : nlohmann::json(r.revocation_problem)}}}};
    CS_ASSIGN(j["signer"], signer_json(r.signer_cert, r.signer, r.timestamp_time ? r.timestamp_time : r.claimed_time,
                                       valid, problem));
    j["valid"] = valid;
    j["problem"] = problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(problem);
    all_valid = all_valid && valid;
    out.push_back(std::move(j));
  }
  return nlohmann::json{{"valid", all_valid}, {"format", "pdf"}, {"signatures", out}};
}

}  // namespace certseal::service

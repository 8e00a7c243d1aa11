#include "docsign/ofd_verifier.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "docsign/cert_path.h"
#include "docsign/ofd_package.h"
#include "docsign/ofd_ses_signature.h"
#include "docsign/ofd_xml.h"
#include "pki/certificate.h"
#include "seal/seseal.h"

namespace certseal::docsign {
namespace {

bool same(BytesView a, BytesView b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

bool is_sm3(std::string method) {
  for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return method == kOidSm3 || method == "SM3";
}

void fail(OfdSignatureReport& r, const std::string& why) {
  if (r.problem.empty()) r.problem = why;
}

// The parts of one Signature.xml we read.
struct SignedInfo {
  std::string check_method;
  std::vector<std::pair<std::string, std::string>> references;  // package path, base64 CheckValue
  std::string page_ref;
  std::string seal_path;
  std::string signed_value_path;
};

Result<SignedInfo> read_signed_info(const OfdPackage& pkg, const std::string& path) {
  const Bytes* xml = pkg.find(path);
  if (xml == nullptr) return invalid_argument("ofd_bad_document", "missing " + path);
  CS_ASSIGN(XmlDoc d, XmlDoc::parse(*xml, path));
  if (xml_local_name(d.root()) != "Signature") return invalid_argument("ofd_bad_document", "root is not Signature");
  XmlNode info = xml_child(d.root(), "SignedInfo");
  if (info == nullptr) return invalid_argument("ofd_bad_document", "no SignedInfo");
  SignedInfo si;
  XmlNode refs = xml_child(info, "References");
  si.check_method = xml_attr(refs, "CheckMethod").value_or("");
  for (XmlNode r : xml_children(refs, "Reference")) {
    auto loc = xml_attr(r, "FileRef");
    if (!loc) return invalid_argument("ofd_bad_document", "a Reference without FileRef");
    CS_ASSIGN(std::string file, resolve_loc(path, *loc));
    si.references.emplace_back(file, xml_text(xml_child(r, "CheckValue")));
  }
  if (XmlNode stamp = xml_child(info, "StampAnnot"); stamp != nullptr) si.page_ref = xml_attr(stamp, "PageRef").value_or("");
  if (XmlNode seal = xml_child(xml_child(info, "Seal"), "BaseLoc"); seal != nullptr) {
    CS_ASSIGN(si.seal_path, resolve_loc(path, xml_text(seal)));
  }
  CS_ASSIGN(si.signed_value_path, resolve_loc(path, xml_text(xml_child(d.root(), "SignedValue"))));
  return si;
}

}  // namespace

Result<std::vector<OfdSignatureReport>> verify_ofd(BytesView ofd, const std::vector<Bytes>& trusted_roots,
                                                   const ZipLimits& limits) {
  CS_ASSIGN(OfdPackage pkg, read_ofd(ofd, limits));
  CS_ASSIGN(OfdDocument doc, read_ofd_document(pkg));
  CS_ASSIGN(OfdSignatureList list, read_signature_list(pkg, doc.signatures_path));

  // Every signature's own files, to know what a signature may leave uncovered.
  std::vector<SignedInfo> infos(list.entries.size());
  std::vector<bool> readable(list.entries.size(), false);
  for (std::size_t i = 0; i < list.entries.size(); ++i) {
    auto si = read_signed_info(pkg, list.entries[i].path);
    if (!si.ok()) continue;
    infos[i] = std::move(*si);
    readable[i] = true;
  }

  std::vector<OfdSignatureReport> reports;
  std::vector<std::set<std::string>> covered_by(list.entries.size());
  for (std::size_t i = 0; i < list.entries.size(); ++i) {
    OfdSignatureReport r;
    r.id = list.entries[i].id;
    r.type = list.entries[i].type;
    r.signature_path = list.entries[i].path;
    if (!readable[i]) {
      r.problem = "Signature.xml is missing or unreadable";
      reports.push_back(std::move(r));
      continue;
    }
    const SignedInfo& si = infos[i];
    r.page_ref = si.page_ref;
    r.page_found = std::any_of(doc.pages.begin(), doc.pages.end(), [&](const OfdPage& p) { return p.id == si.page_ref; });
    if (!r.page_found) fail(r, "StampAnnot names no page of the document");

    // References.
    std::set<std::string> covered;
    r.references_intact = is_sm3(si.check_method) && !si.references.empty();
    if (!is_sm3(si.check_method)) fail(r, "unsupported CheckMethod " + si.check_method);
    for (const auto& [file, check_value] : si.references) {
      covered.insert(file);
      const Bytes* data = pkg.find(file);
      auto expected = base64_decode(check_value);
      if (data == nullptr || !expected.ok() || !same(crypto::sm3(*data), *expected)) {
        r.references_intact = false;
        r.changed_files.push_back(file);
      }
    }
    if (!r.changed_files.empty()) fail(r, "a signed file was changed or removed: " + r.changed_files.front());
    covered_by[i] = std::move(covered);

    // SignedValue.dat.
    const Bytes* value = pkg.find(si.signed_value_path);
    auto ses = value == nullptr ? Result<SesSignature>(invalid_argument("ofd_bad_document", "missing"))
                                : parse_ses_signature(*value);
    if (!ses.ok()) {
      fail(r, "SignedValue.dat is missing or not a GB/T 38540 SES_Signature");
      reports.push_back(std::move(r));
      continue;
    }
    r.time = ses->time;
    r.signer_cert = ses->cert;
    const Bytes* sig_xml = pkg.find(r.signature_path);
    r.data_hash_matches = sig_xml != nullptr && same(crypto::sm3(*sig_xml), ses->data_hash) &&
                          resolve_loc("", ses->property_info).value_or("") == r.signature_path;
    if (!r.data_hash_matches) fail(r, "dataHash is not the SM3 of Signature.xml (Signature.xml changed)");

    auto seal = seal::parse_seseal(ses->seseal);
    if (seal.ok()) {
      r.seal_name = seal->info.name;
      r.seal_id = seal->info.seal_id;
      r.seal_valid = seal::verify_maker_signature(*seal).ok();
    }
    if (!r.seal_valid) fail(r, "the seal data does not verify");
    const Bytes* esl = si.seal_path.empty() ? nullptr : pkg.find(si.seal_path);
    r.seal_file_matches = si.seal_path.empty() || (esl != nullptr && same(*esl, ses->seseal));
    if (!r.seal_file_matches) fail(r, "Seal.esl is not the seal that was signed");

    auto facts = pki::read_certificate(ses->cert);
    if (!facts.ok()) {
      fail(r, "the signer's certificate does not parse");
      reports.push_back(std::move(r));
      continue;
    }
    r.signer = pki::name_text(facts->subject);
    auto key = crypto::PublicKey::from_spki_der(facts->spki);
    r.signature_valid = ses->sign_alg_oid == kOidSm2Sm3 && key.ok() && key->type() == crypto::KeyType::kSm2 &&
                        crypto::verify(*key, crypto::SignScheme::kSm2Sm3, ses->tbs_der, ses->signature).ok();
    if (!r.signature_valid) fail(r, "the SM2 signature over TBS_Sign does not verify");

    PathResult path = check_cert_path(ses->cert, {}, trusted_roots, ses->time);
    r.certificate_trusted = path.trusted;
    r.certificate_valid_then = path.valid_at_time;
    r.certificate_problem = path.problem;
    if (!path.trusted || !path.valid_at_time) fail(r, "certificate: " + path.problem);
    reports.push_back(std::move(r));
  }
  // What each signature should cover and does not. Excused: Signatures.xml, its own Signature.xml
  // and SignedValue.dat, and the files of other signatures that stand on their own (their
  // signature, dataHash and seal check out and their certificate is trusted): those are later
  // signatures. A "signature" made up to excuse an added file (a picture named as its Seal.esl)
  // does not stand, so the file counts as added.
  std::set<std::string> excused;
  for (std::size_t j = 0; j < reports.size(); ++j) {
    const OfdSignatureReport& o = reports[j];
    if (!readable[j] || !o.signature_valid || !o.data_hash_matches || !o.seal_file_matches || !o.certificate_trusted) {
      continue;
    }
    excused.insert(o.signature_path);
    excused.insert(infos[j].signed_value_path);
    if (!infos[j].seal_path.empty()) excused.insert(infos[j].seal_path);
  }
  for (std::size_t i = 0; i < reports.size(); ++i) {
    OfdSignatureReport& r = reports[i];
    if (!readable[i]) continue;
    for (const ZipEntry& e : pkg.files) {
      if (covered_by[i].count(e.name) != 0 || e.name == doc.signatures_path || e.name == r.signature_path ||
          e.name == infos[i].signed_value_path || e.name == infos[i].seal_path || excused.count(e.name) != 0) {
        continue;
      }
      r.uncovered_files.push_back(e.name);
    }
    if (!r.uncovered_files.empty()) fail(r, "a file the signature does not cover: " + r.uncovered_files.front());
  }
  return reports;
}

}  // namespace certseal::docsign

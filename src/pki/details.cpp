#include "pki/details.h"

#include <openssl/objects.h>

#include <ctime>

#include "base/encoding.h"
#include "base/clock.h"
#include "crypto/ossl.h"

namespace certseal::pki {
namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string name_line(const X509_NAME* n) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bio_text(bio.get());
}

// Formatted from the broken-down time, so that dates past 2262 (which no SysTime holds, e.g. the
// "no expiry" 99991231235959Z) are shown as written.
std::string time_text(const ASN1_TIME* t) {
  struct tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string thumb(const EVP_MD* md, BytesView der) {
  unsigned char h[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(der.data(), der.size(), h, &n, md, nullptr);
  return hex_encode(BytesView(h, n), true);
}

}  // namespace

Result<nlohmann::json> certificate_details(BytesView der) {
  const unsigned char* p = der.data();
  crypto::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return invalid_argument("bad_certificate", "not a DER X.509 certificate");
  nlohmann::json j;
  j["subject"] = name_line(X509_get_subject_name(x.get()));
  j["issuer"] = name_line(X509_get_issuer_name(x.get()));
  const ASN1_INTEGER* sn = X509_get0_serialNumber(x.get());
  j["serial"] = hex_encode(BytesView(sn->data, static_cast<std::size_t>(sn->length)), true);
  j["not_before"] = time_text(X509_get0_notBefore(x.get()));
  j["not_after"] = time_text(X509_get0_notAfter(x.get()));
  j["version"] = X509_get_version(x.get()) + 1;
  int sig_nid = X509_get_signature_nid(x.get());
  j["signature_algorithm"] = sig_nid == NID_undef ? "unknown" : OBJ_nid2ln(sig_nid);
  EVP_PKEY* pk = X509_get0_pubkey(x.get());
  std::string alg = pk ? EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "unknown" : "unknown";
  if (pk && EVP_PKEY_is_a(pk, "EC")) {
    char group[64] = {0};
    size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof group, &glen) && std::string(group) == "SM2") {
      alg = "SM2";
    }
  }
  j["public_key"] = {{"algorithm", alg}, {"bits", pk ? EVP_PKEY_get_bits(pk) : 0}};
  nlohmann::json ku = nlohmann::json::array();
  std::uint32_t usage = X509_get_key_usage(x.get());
  if (usage != UINT32_MAX) {
    const std::pair<std::uint32_t, const char*> kNames[] = {
        {KU_DIGITAL_SIGNATURE, "digitalSignature"}, {KU_NON_REPUDIATION, "nonRepudiation"},
        {KU_KEY_ENCIPHERMENT, "keyEncipherment"},   {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
        {KU_KEY_AGREEMENT, "keyAgreement"},         {KU_KEY_CERT_SIGN, "keyCertSign"},
        {KU_CRL_SIGN, "cRLSign"}};
    for (auto [bit, name] : kNames) {
      if (usage & bit) ku.push_back(name);
    }
  }
  j["key_usage"] = ku;
  nlohmann::json exts = nlohmann::json::array();
  for (int i = 0; i < X509_get_ext_count(x.get()); ++i) {
    X509_EXTENSION* e = X509_get_ext(x.get(), i);
    char oid[128];
    OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(e), 1);
    int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
    crypto::BioPtr bio(BIO_new(BIO_s_mem()));
    std::string text;
    if (X509V3_EXT_print(bio.get(), e, 0, 0) == 1) {
      text = bio_text(bio.get());
    } else {
      const ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(e);
      text = hex_encode(BytesView(ASN1_STRING_get0_data(v), static_cast<std::size_t>(ASN1_STRING_length(v))));
    }
    exts.push_back({{"oid", oid},
                    {"name", nid == NID_undef ? oid : OBJ_nid2ln(nid)},
                    {"critical", X509_EXTENSION_get_critical(e) != 0},
                    {"value", text}});
  }
  j["extensions"] = exts;
  j["thumbprints"] = {{"sha1", thumb(EVP_sha1(), der)},
                      {"sha256", thumb(EVP_sha256(), der)},
                      {"sm3", thumb(EVP_sm3(), der)},
                      {"md5", thumb(EVP_md5(), der)}};
  return j;
}

}  // namespace certseal::pki

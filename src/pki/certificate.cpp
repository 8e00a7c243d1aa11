#include "pki/certificate.h"

#include <algorithm>
#include <memory>

#include <openssl/asn1.h>

#include "crypto/hash.h"
#include "crypto/ossl.h"
#include "crypto/ossl_bytes.h"
#include "pki/der.h"

namespace certseal::pki {
namespace {

Bytes extension(std::string_view oid, bool critical, BytesView value) {
  Bytes o = der::oid_or_die(oid);
  if (critical) return der::seq({o, der::boolean(true), der::octet_string(value)});
  return der::seq({o, der::octet_string(value)});
}

SysTime from_asn1_time(const ASN1_TIME* t) {
  struct tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  return sys_time_from_unix(timegm(&tm));
}

}  // namespace

bool is_name_der(BytesView der) {
  const unsigned char* p = der.data();
  crypto::X509NamePtr name(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
  return name && p == der.data() + der.size();
}

Result<Bytes> name_der(const std::vector<NameEntry>& entries) {
  crypto::X509NamePtr name(X509_NAME_new());
  if (!name) return crypto::openssl_internal("X509_NAME_new");
  for (const auto& e : entries) {
    const auto* v = reinterpret_cast<const unsigned char*>(e.value.data());
    int len = static_cast<int>(e.value.size());
    // C and serialNumber are PrintableString by definition (RFC 5280 App. A); the rest UTF8String.
    bool printable = e.type == "C" || e.type == "serialNumber";
    if (!X509_NAME_add_entry_by_txt(name.get(), e.type.c_str(), printable ? MBSTRING_ASC : MBSTRING_UTF8, v,
                                    len, -1, 0)) {
      return crypto::openssl_error(ErrorKind::kInvalidArgument, "bad_subject",
                                   "subject field " + e.type + " is not acceptable");
    }
  }
  int n = i2d_X509_NAME(name.get(), nullptr);
  if (n <= 0) return crypto::openssl_internal("i2d_X509_NAME");
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  i2d_X509_NAME(name.get(), &p);
  return out;
}

std::string name_text(BytesView der) {
  const unsigned char* p = der.data();
  crypto::X509NamePtr name(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
  if (!name) return "";
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name.get(), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<Bytes> public_key_bits(BytesView spki) {
  const unsigned char* p = spki.data();
  crypto::X509PubkeyPtr pk(d2i_X509_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!pk) return invalid_argument("bad_public_key", "the public key is not a SubjectPublicKeyInfo");
  const unsigned char* bits = nullptr;
  int len = 0;
  if (!X509_PUBKEY_get0_param(nullptr, &bits, &len, nullptr, pk.get())) {
    return invalid_argument("bad_public_key", "the public key is not a SubjectPublicKeyInfo");
  }
  return Bytes(bits, bits + len);
}

Result<Bytes> key_identifier(BytesView spki) {
  CS_ASSIGN(Bytes bits, public_key_bits(spki));
  Bytes out(20);
  EVP_Digest(bits.data(), bits.size(), out.data(), nullptr, EVP_sha1(), nullptr);
  return out;
}

Result<Bytes> tbs_certificate(const CertTemplate& t, SigAlg alg) {
  if (t.serial.empty() || t.serial.size() > 20) return invalid_argument("bad_serial", "bad serial number");
  std::vector<Bytes> exts;
  // BasicConstraints (RFC 5280 §4.2.1.9): CAs carry it, critical, with cA TRUE (and pathLen when
  // set). End-entity certificates omit it: the section allows that, and strict SM2 verifiers refuse
  // the empty SEQUENCE (cA FALSE by default) some stacks write. pathLen without cA is meaningless.
  if (t.is_ca) {
    Bytes bc = t.path_len >= 0 ? der::seq({der::boolean(true), der::integer(t.path_len)})
                               : der::seq({der::boolean(true)});
    exts.push_back(extension("2.5.29.19", true, bc));
  }
  if (t.key_usage) exts.push_back(extension("2.5.29.15", true, der::named_bits(t.key_usage)));
  if (!t.ext_key_usage.empty()) {
    std::vector<Bytes> oids;
    for (const auto& o : t.ext_key_usage) {
      CS_ASSIGN(Bytes ob, der::oid(o));
      oids.push_back(std::move(ob));
    }
    exts.push_back(extension("2.5.29.37", t.eku_critical, der::seq_of(oids)));
  }
  CS_ASSIGN(Bytes ski, key_identifier(t.spki));
  exts.push_back(extension("2.5.29.14", false, der::octet_string(ski)));
  if (!t.authority_key_id.empty()) {
    exts.push_back(extension("2.5.29.35", false, der::seq({der::implicit(0, false, t.authority_key_id)})));
  }
  if (!t.crl_url.empty()) {
    // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames { [6] URI } } }
    Bytes uri = der::implicit(6, false, as_bytes(t.crl_url));
    Bytes dp = der::seq({der::explicit_tag(0, der::implicit(0, true, uri))});
    exts.push_back(extension("2.5.29.31", false, der::seq({dp})));
  }
  if (!t.ocsp_url.empty() || !t.ca_issuers_url.empty()) {
    std::vector<Bytes> ads;
    if (!t.ocsp_url.empty()) {
      ads.push_back(der::seq({der::oid_or_die("1.3.6.1.5.5.7.48.1"), der::implicit(6, false, as_bytes(t.ocsp_url))}));
    }
    if (!t.ca_issuers_url.empty()) {
      ads.push_back(
          der::seq({der::oid_or_die("1.3.6.1.5.5.7.48.2"), der::implicit(6, false, as_bytes(t.ca_issuers_url))}));
    }
    exts.push_back(extension("1.3.6.1.5.5.7.1.1", false, der::seq_of(ads)));
  }
  if (!t.policies.empty()) {
    std::vector<Bytes> pis;
    for (const auto& p : t.policies) {
      CS_ASSIGN(Bytes po, der::oid(p));
      pis.push_back(der::seq({po}));
    }
    exts.push_back(extension("2.5.29.32", false, der::seq_of(pis)));
  }
  if (t.ocsp_no_check) exts.push_back(extension("1.3.6.1.5.5.7.48.1.5", false, der::null()));
  for (const auto& e : t.extra) {
    CS_ASSIGN(Bytes o, der::oid(e.oid));
    (void)o;
    exts.push_back(extension(e.oid, e.critical, e.value));
  }
  Bytes version = der::explicit_tag(0, der::integer(2));
  Bytes validity = der::seq({der::x509_time(t.not_before), der::x509_time(t.not_after)});
  return der::seq({version, der::integer_unsigned(t.serial), algorithm_identifier(alg), t.issuer, validity,
                   t.subject, t.spki, der::explicit_tag(3, der::seq_of(exts))});
}

Result<Bytes> issue_certificate(const CertTemplate& t, Signer& signer) {
  CS_ASSIGN(Bytes tbs, tbs_certificate(t, signer.sig_alg()));
  return sign_structure(signer, tbs);
}

Result<CertFacts> read_certificate(BytesView der) {
  const unsigned char* p = der.data();
  crypto::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return invalid_argument("bad_certificate", "not a DER X.509 certificate");
  // DER only, and nothing after it: d2i_X509 ignores trailing bytes and re-encodes what it does
  // not keep (the outer SEQUENCE, the signature algorithm, the signature BIT STRING with its
  // unused bits masked to zero), so such bytes are not the certificate OpenSSL sees and would give
  // one certificate two fingerprints. Found by the cms target's differential (docs/SECURITY.md).
  if (p != der.data() + der.size()) return invalid_argument("bad_certificate", "bytes after the certificate");
  unsigned char* enc = nullptr;  // compared in OpenSSL's buffer: no copy for every certificate read
  const int enc_len = i2d_X509(x.get(), &enc);
  const crypto::OsslBuffer enc_owned(enc);
  if (enc_len <= 0 || enc == nullptr || !std::equal(enc, enc + enc_len, der.begin(), der.end())) {
    return invalid_argument("bad_certificate", "the certificate is not DER");
  }
  CertFacts f;
  const ASN1_INTEGER* sn = X509_get0_serialNumber(x.get());
  f.serial.assign(sn->data, sn->data + sn->length);
  auto put_name = [](const X509_NAME* n) {
    const unsigned char* d = nullptr;
    size_t len = 0;
    X509_NAME_get0_der(n, &d, &len);
    return Bytes(d, d + len);
  };
  f.issuer = put_name(X509_get_issuer_name(x.get()));
  f.subject = put_name(X509_get_subject_name(x.get()));
  int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x.get()), nullptr);
  f.spki.resize(static_cast<std::size_t>(n));
  unsigned char* q = f.spki.data();
  i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x.get()), &q);
  f.not_before = from_asn1_time(X509_get0_notBefore(x.get()));
  f.not_after = from_asn1_time(X509_get0_notAfter(x.get()));
  return f;
}

}  // namespace certseal::pki

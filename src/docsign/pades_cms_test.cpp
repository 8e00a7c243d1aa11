// The PDF verifier's CMS reader (pades::read_signed_data) from the side of whoever hands it a
// signature: messages that differ from a valid PAdES one in a single field, each of which a
// stricter reader (OpenSSL's, and pki/cms_signed since the SignedData differential) refuses.
// A reader that took the last of two signing times or message digests would see another
// signature than one that took the first; an unexpected content type or certificate choice is
// no PAdES signature.
#include "docsign/pades_cms.h"

#include <gtest/gtest.h>

#include "base/rng.h"
#include "pki/certificate.h"
#include "pki/der.h"
#include "pki/signer.h"

namespace certseal::docsign::pades {
namespace {

namespace der = pki::der;

Bytes attr(std::string_view oid, const Bytes& value) {
  return der::seq({der::oid_or_die(oid), der::set_of({value})});
}

struct Fields {
  std::vector<Bytes> attrs;            // empty: content-type, message-digest, signing-certificate-v2
  std::vector<Bytes> extra_certs;      // after the signer's
  std::vector<Bytes> unsigned_attrs;   // none by default
};

class PadesCmsReader : public ::testing::Test {
 protected:
  PadesCmsReader()
      : key_(crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng_).value()),
        name_(pki::name_der({{"C", "CN"}, {"CN", "PAdES reader test"}}).value()) {
    pki::CertTemplate t;
    t.serial = {0x01, 0x23};
    t.not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
    t.not_after = t.not_before + std::chrono::hours(24);
    t.issuer = t.subject = name_;
    t.spki = key_.public_key().spki_der();
    t.key_usage = pki::kDigitalSignature | pki::kNonRepudiation;
    pki::LocalSigner self(key_);
    cert_ = pki::issue_certificate(t, self).value();
    digest_ = crypto::digest(crypto::HashAlg::kSha256, to_bytes("the PDF's byte ranges"));
  }

  // A detached SignedData as the PDF signer writes it, with `f`'s changes, signed for real.
  Bytes message(Fields f) {
    if (f.attrs.empty()) f.attrs = split(good_attrs());
    const Bytes attrs = der::set_of(f.attrs);
    pki::LocalSigner signer(key_);
    const Bytes sig = signer.sign(attrs).value();
    const pki::CertFacts facts = pki::read_certificate(cert_).value();
    Bytes si_body = der::concat({der::integer(1), der::seq({facts.issuer, der::integer_unsigned(facts.serial)}),
                                 pki::digest_algorithm_identifier(crypto::HashAlg::kSha256),
                                 der::implicit(0, true, der::read_tlv(attrs).value().content(attrs)),
                                 der::seq({der::oid_or_die("1.2.840.10045.4.3.2")}), der::octet_string(sig)});
    if (!f.unsigned_attrs.empty()) {
      Bytes u;
      for (const auto& a : f.unsigned_attrs) u = der::concat({u, a});
      si_body = der::concat({si_body, der::implicit(1, true, u)});
    }
    Bytes certs = cert_;
    for (const auto& c : f.extra_certs) certs = der::concat({certs, c});
    const Bytes sd = der::seq({der::integer(1), der::set_of({pki::digest_algorithm_identifier(crypto::HashAlg::kSha256)}),
                               der::seq({der::oid_or_die(kOidData)}), der::implicit(0, true, certs),
                               der::set_of({der::tlv(der::kSequence, si_body)})});
    return der::seq({der::oid_or_die(kOidSignedData), der::explicit_tag(0, sd)});
  }

  Bytes good_attrs() { return signed_attributes(pki::SigAlg::kEcdsaSha256, digest_, cert_).value(); }
  // The attributes of a DER SET OF, each a whole TLV.
  static std::vector<Bytes> split(const Bytes& set) {
    std::vector<Bytes> out;
    BytesView rest = der::read_tlv(set).value().content(set);
    while (!rest.empty()) {
      auto t = der::read_tlv(rest).value();
      out.emplace_back(rest.begin(), rest.begin() + static_cast<long>(t.total()));
      rest = rest.subspan(t.total());
    }
    return out;
  }

  SystemRng rng_;
  crypto::PrivateKey key_;
  Bytes name_, cert_, digest_;
};

TEST_F(PadesCmsReader, TheSignersOwnMessageIsReadAndVerifies) {
  auto v = read_signed_data(message({}));
  ASSERT_TRUE(v) << v.error().cause;
  EXPECT_EQ(v->signer_cert, cert_);
  EXPECT_EQ(v->message_digest, digest_);
  EXPECT_TRUE(v->signing_cert_v2_hash.has_value());
  EXPECT_TRUE(signature_valid(*v));

  // A signing time once, and a time-stamp attribute once, are read.
  Fields timed;
  timed.attrs = split(good_attrs());
  timed.attrs.push_back(attr(kOidSigningTime, der::tlv(der::kUtcTime, to_bytes("260101120000Z"))));
  timed.unsigned_attrs = {attr(kOidSignatureTimeStamp, der::seq({der::oid_or_die(kOidData)}))};
  auto t = read_signed_data(message(timed));
  ASSERT_TRUE(t) << t.error().cause;
  EXPECT_TRUE(t->signing_time.has_value());
  EXPECT_TRUE(t->timestamp_token.has_value());
  EXPECT_TRUE(signature_valid(*t));

  // A signing time past the clock's end (2262) reads as the far future, with its fraction, not as
  // an overflow (the time-stamp token's genTime had it: fuzz/regressions/pdf/timestamp-year-6220).
  Fields late;
  late.attrs = split(good_attrs());
  late.attrs.push_back(attr(kOidSigningTime, der::tlv(der::kGeneralizedTime, to_bytes("99991231235959.5Z"))));
  auto l = read_signed_data(message(late));
  ASSERT_TRUE(l) << l.error().cause;
  EXPECT_EQ(l->signing_time, SysTime::max());
}

TEST_F(PadesCmsReader, FieldsOtherReadersRefuseAreRefused) {
  const std::vector<Bytes> good = split(good_attrs());
  const Bytes md = attr(kOidMessageDigest, der::octet_string(digest_));
  const Bytes type = attr(kOidContentType, der::oid_or_die(kOidData));
  Bytes cert_v2;  // the one attribute the signer writes besides those two
  for (const auto& a : good)
    if (a != md && a != type) cert_v2 = a;
  ASSERT_EQ(good.size(), 3u);
  ASSERT_FALSE(cert_v2.empty());
  const Bytes time1 = attr(kOidSigningTime, der::tlv(der::kUtcTime, to_bytes("260101120000Z")));
  const Bytes time2 = attr(kOidSigningTime, der::tlv(der::kUtcTime, to_bytes("270101120000Z")));
  const Bytes other_md = attr(kOidMessageDigest, der::octet_string(Bytes(32, 0x5a)));
  const Bytes token = attr(kOidSignatureTimeStamp, der::seq({der::oid_or_die(kOidData)}));

  struct Case {
    const char* what;
    Fields f;
  };
  std::vector<Case> cases = {
      {"no content-type attribute", {{md, cert_v2}, {}, {}}},
      {"a content type that is not the content's (id-signedData)",
       {{attr(kOidContentType, der::oid_or_die(kOidSignedData)), md, cert_v2}, {}, {}}},
      {"a content type that is no OID", {{attr(kOidContentType, der::octet_string(to_bytes("data"))), md, cert_v2}, {}, {}}},
      {"two content-type attributes", {{type, type, md, cert_v2}, {}, {}}},
      {"two message digests", {{type, md, other_md, cert_v2}, {}, {}}},
      {"two signing times", {{type, md, cert_v2, time1, time2}, {}, {}}},
      {"two signing-certificate-v2 attributes", {{type, md, cert_v2, cert_v2}, {}, {}}},
      {"an attribute certificate among the certificates",
       {{}, {der::tlv(der::context(1, true), der::seq({der::integer(1)}))}, {}}},
      {"an OCTET STRING among the certificates", {{}, {der::octet_string(to_bytes("x"))}, {}}},
      {"two time-stamp attributes", {{}, {}, {token, token}}},
  };
  for (auto& c : cases) {
    auto v = read_signed_data(message(c.f));
    EXPECT_FALSE(v) << c.what;
    if (!v) {
      EXPECT_EQ(v.error().code, "cms_malformed") << c.what;
    }
  }
}

}  // namespace
}  // namespace certseal::docsign::pades

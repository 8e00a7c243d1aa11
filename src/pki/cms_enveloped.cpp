#include "pki/cms_enveloped.h"

#include <algorithm>
#include <vector>

#include "crypto/cipher.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "pki/certificate.h"
#include "pki/der.h"

namespace certseal::pki::cms {
namespace {

constexpr std::string_view kSm2Encrypt = "1.2.156.10197.1.301.3";
constexpr std::string_view kSm4Cbc = "1.2.156.10197.1.104.2";

Error malformed(std::string why) {
  return Error(ErrorKind::kInvalidArgument, "cms_malformed", "the CMS message is malformed", std::move(why));
}
Error unsupported(std::string what) {
  return Error(ErrorKind::kInvalidArgument, "cms_unsupported", "unsupported CMS message: " + what);
}

Result<std::vector<std::pair<der::Tlv, BytesView>>> children(BytesView content) {
  std::vector<std::pair<der::Tlv, BytesView>> out;
  while (!content.empty()) {
    CS_ASSIGN(auto t, der::read_tlv(content));
    out.emplace_back(t, content.subspan(0, t.total()));
    content = content.subspan(t.total());
  }
  return out;
}
bool same(BytesView a, BytesView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

Result<Enveloped> parse(BytesView in) {
  Enveloped e;
  CS_ASSIGN(auto outer, der::read_tlv(in));
  if (outer.tag != der::kSequence || outer.total() != in.size()) return malformed("ContentInfo");
  CS_ASSIGN(auto ci, children(outer.content(in)));
  if (ci.size() != 2 || ci[1].first.tag != der::context(0, true)) return malformed("ContentInfo fields");
  if (same(ci[0].second, der::oid_or_die(enveloped_data_oid(Form::kGmt0010)))) e.form = Form::kGmt0010;
  else if (!same(ci[0].second, der::oid_or_die(enveloped_data_oid(Form::kRfc5652)))) return unsupported("not EnvelopedData");
  CS_ASSIGN(auto ed_outer, children(ci[1].first.content(ci[1].second)));
  if (ed_outer.size() != 1 || ed_outer[0].first.tag != der::kSequence) return malformed("EnvelopedData");
  CS_ASSIGN(auto ed, children(ed_outer[0].first.content(ed_outer[0].second)));
  if (ed.empty() || ed[0].first.tag != der::kInteger) return malformed("EnvelopedData version");
  std::size_t i = 1;
  if (ed.size() > i && ed[i].first.tag == der::context(0, true)) ++i;  // originatorInfo
  if (ed.size() < i + 2 || ed[i].first.tag != der::kSet) return malformed("recipientInfos");
  CS_ASSIGN(auto ris, children(ed[i].first.content(ed[i].second)));
  if (ris.size() != 1) return unsupported("one recipient is supported");
  CS_ASSIGN(auto ri, children(ris[0].first.content(ris[0].second)));
  if (ris[0].first.tag != der::kSequence || ri.size() != 4) return unsupported("only key transport recipients");
  if (ri[0].first.tag != der::kInteger) return malformed("KeyTransRecipientInfo version");
  if (ri[1].first.tag != der::kSequence || ri[2].first.tag != der::kSequence) return malformed("KeyTransRecipientInfo");
  CS_ASSIGN(auto rid, children(ri[1].first.content(ri[1].second)));
  if (rid.size() != 2 || rid[1].first.tag != der::kInteger) return unsupported("rid by issuer and serial only");
  if (!is_name_der(rid[0].second)) return malformed("recipient issuer is not a Name");
  e.recipient_issuer.assign(rid[0].second.begin(), rid[0].second.end());
  BytesView serial = rid[1].first.content(rid[1].second);
  while (serial.size() > 1 && serial[0] == 0) serial = serial.subspan(1);
  e.recipient_serial.assign(serial.begin(), serial.end());
  CS_ASSIGN(auto kalg, children(ri[2].first.content(ri[2].second)));
  if (kalg.empty() || !same(kalg[0].second, der::oid_or_die(kSm2Encrypt))) return unsupported("key encryption");
  if (ri[3].first.tag != der::kOctetString) return malformed("encryptedKey");
  BytesView ek = ri[3].first.content(ri[3].second);
  e.encrypted_key.assign(ek.begin(), ek.end());
  if (ed[i + 1].first.tag != der::kSequence) return malformed("EncryptedContentInfo");
  CS_ASSIGN(auto eci, children(ed[i + 1].first.content(ed[i + 1].second)));
  if (eci.size() != 3 || eci[2].first.tag != der::context(0, false)) return malformed("EncryptedContentInfo");
  if (!same(eci[0].second, der::oid_or_die(data_oid(e.form)))) return unsupported("content type");
  if (eci[1].first.tag != der::kSequence) return malformed("contentEncryptionAlgorithm");
  CS_ASSIGN(auto calg, children(eci[1].first.content(eci[1].second)));
  if (calg.size() != 2 || !same(calg[0].second, der::oid_or_die(kSm4Cbc)) || calg[1].first.tag != der::kOctetString) {
    return unsupported("content encryption");
  }
  BytesView iv = calg[1].first.content(calg[1].second);
  e.iv.assign(iv.begin(), iv.end());
  BytesView ct = eci[2].first.content(eci[2].second);
  e.encrypted_content.assign(ct.begin(), ct.end());
  if (e.iv.size() != 16) return malformed("IV");
  return e;
}

}  // namespace

Result<Bytes> enveloped_data(Form form, BytesView recipient_certificate, BytesView content, Rng& rng) {
  auto facts = read_certificate(recipient_certificate);
  if (!facts) return invalid_argument("bad_certificate", "the recipient's certificate does not parse");
  auto key = crypto::PublicKey::from_spki_der(facts->spki);
  if (!key || key->type() != crypto::KeyType::kSm2) {
    return invalid_argument("unsupported_recipient", "envelopes go to SM2 certificates only");
  }
  const Bytes cek = rng.bytes(16), iv = rng.bytes(16);
  CS_ASSIGN(auto ct, crypto::sm4_cbc_encrypt(cek, iv, content));
  CS_ASSIGN(auto raw, crypto::sm2_encrypt(*key, cek, crypto::Sm2CipherOrder::kC1C3C2));
  CS_ASSIGN(auto parsed, crypto::Sm2Ciphertext::parse_raw(raw, crypto::Sm2CipherOrder::kC1C3C2));
  Bytes rid = der::seq({facts->issuer, der::integer_unsigned(facts->serial)});
  Bytes ktri = der::seq({der::integer(0), rid, der::seq({der::oid_or_die(kSm2Encrypt)}), der::octet_string(parsed.der())});
  Bytes eci = der::seq({der::oid_or_die(data_oid(form)), der::seq({der::oid_or_die(kSm4Cbc), der::octet_string(iv)}),
                        der::implicit(0, false, ct)});
  Bytes ed = der::seq({der::integer(0), der::set_of({ktri}), eci});
  return der::seq({der::oid_or_die(enveloped_data_oid(form)), der::explicit_tag(0, ed)});
}

Result<Enveloped> parse_enveloped(BytesView der) {
  auto e = parse(der);
  if (!e && e.error().code.rfind("cms_", 0) != 0) return malformed(e.error().code);
  return e;
}

Result<Bytes> open_content(const Enveloped& e, BytesView content_key) {
  auto plain = crypto::sm4_cbc_decrypt(content_key, e.iv, e.encrypted_content);
  if (!plain) return Error(ErrorKind::kInvalidArgument, "decryption_failed", "the content does not decrypt");
  return Bytes(plain->begin(), plain->end());
}

}  // namespace certseal::pki::cms

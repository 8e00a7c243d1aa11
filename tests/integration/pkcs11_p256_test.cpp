// The phone's two-party ECDSA P-256 key as a PC key (docs/PKCS11.md): a real certseald with a
// P-256 CA, the real `certseal` client installing an ec-p256 certificate (crypto/ecdsa_split.h:
// x1 and the Paillier key on the device, x2 on the server) and pairing a PC, and
// libcertseal-pkcs11.so driven by pkcs11-tool, by OpenSSL's PKCS#11 engine (libp11) and
// in-process. The phone confirms every operation with the certificate password through
// `certseal pc confirm`, which runs the Lindell two-party signing step (client/shield_ecdsa.cpp).
// Signatures come back as PKCS#11's r‖s; the test turns them into DER itself and checks them with
// `openssl dgst -sha256 -verify` against the certificate's public key.
//
// Refusals from the side of whoever must be refused: the phone saying no (CKR_FUNCTION_REJECTED;
// pkcs11-tool fails and writes nothing), a PC that is not paired (no objects), a CKM_ECDSA input
// that is not a 32-byte digest (a SHA-1 or SHA-384 digest: refused before the phone is asked),
// SM2 and RSA mechanisms on the P-256 key (CKR_KEY_TYPE_INCONSISTENT), mechanisms the module does
// not have (CKR_MECHANISM_INVALID), decryption with a signing-only key, SM2/RSA mechanisms for
// the P-256 certificate at the API (mechanism_key_mismatch), and a phone posting a signature the
// key did not make (bad_signature).
#include <openssl/sha.h>

#include <cstring>
#include <future>
#include <regex>
#include <tuple>

#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "support/pkcs11_fixture.h"

namespace certseal::testing {
namespace {

// CKA_EC_PARAMS of P-256: the namedCurve OID prime256v1 (1.2.840.10045.3.1.7) in DER.
const Bytes kP256Params = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

class Pkcs11P256E2eTest : public Pkcs11E2eFixture {
 public:
  std::vector<std::string> extra_server_args() const override {
    auto a = Pkcs11E2eFixture::extra_server_args();
    a.insert(a.end(), {"--set", "ca.p256o.algorithm=ec-p256"});
    return a;
  }

 protected:
  // A phone with an ec-p256 certificate (two-party key, installed by the real client) and a PC
  // paired with it.
  void pair(const std::string& phone_number) {
    inst_ = install_product(phone_number, "周八", "110105194912310214", "ec-p256", "p256o");
    ASSERT_FALSE(inst_.cert_id.empty());
    link_pc();
    ASSERT_NE(sh("openssl x509 -in " + f("leaf.pem") + " -noout -text").find("NIST CURVE: P-256"),
              std::string::npos);
  }
  // `openssl dgst -sha256 -verify` of a raw r‖s file over `data_file`, with the certificate's key.
  std::string openssl_verifies(const std::string& raw_file, const std::string& data_file) {
    const std::string raw = read_all(raw_file);
    if (raw.size() != 64) return "r||s is " + std::to_string(raw.size()) + " bytes";
    put(raw_file + ".der", ec_raw_to_der(to_bytes(raw)));
    return sh("openssl dgst -sha256 -verify " + f("pub.pem") + " -signature " + raw_file + ".der " +
              data_file);
  }
};

TEST_P(Pkcs11P256E2eTest, PkcsToolAndOpensslSignWithThePhonesP256Key) {
  // Not paired: the token has no objects.
  auto unpaired = unpaired_tool("--login -O");
  EXPECT_EQ(unpaired.find("Object"), std::string::npos) << unpaired;

  pair("13912372001");
  // pkcs11-tool lists the certificate, the EC public key on prime256v1 and the private key.
  auto listed = tool("--login -O");
  EXPECT_NE(listed.find("Certificate Object"), std::string::npos) << listed;
  EXPECT_NE(listed.find("Public Key Object; EC"), std::string::npos) << listed;
  EXPECT_NE(listed.find("Private Key Object; EC"), std::string::npos) << listed;
  EXPECT_NE(listed.find("06082a8648ce3d030107"), std::string::npos) << listed;  // EC_PARAMS
  EXPECT_NE(listed.find("周八"), std::string::npos) << listed;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(listed, id, std::regex("ID:\\s+([0-9a-f]{40})"))) << listed;
  // The public key object is the certificate's key.
  tool("--read-object --type pubkey --id " + std::string(id[1]) + " --output-file " +
       f("tok-pub.der"));
  EXPECT_EQ(sh("openssl pkey -pubin -inform DER -in " + f("tok-pub.der") + " -outform PEM"),
            read_all(f("pub.pem")));
  auto mechs = tool("-M");
  EXPECT_NE(mechs.find("ECDSA-SHA256, keySize={256,256}, hw, sign"), std::string::npos) << mechs;

  // ECDSA-SHA256 (the module hashes; the phone is shown the text): the phone confirms with the
  // password, and openssl accepts the signature for the file and not for another.
  const std::string note = "确认开标 第6包 报价 1,280,000.00 元";
  put(f("note.txt"), note);
  auto phone = phone_answers(true);
  auto signed_out =
      tool("--login --sign --mechanism ECDSA-SHA256 -i " + f("note.txt") + " -o " + f("note.sig"));
  auto answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer << "\n" << signed_out;
  EXPECT_NE(answer.err.find("投标电脑"), std::string::npos) << answer;  // who asks
  EXPECT_NE(answer.err.find(note), std::string::npos) << answer;        // and what
  EXPECT_NE(openssl_verifies(f("note.sig"), f("note.txt")).find("Verified OK"), std::string::npos);
  put(f("note2.txt"), note + " ");
  EXPECT_EQ(openssl_verifies(f("note.sig"), f("note2.txt")).find("Verified OK"), std::string::npos);

  // ECDSA on a SHA-256 digest the PC computed.
  std::string bid;
  for (int i = 0; i < 2000; ++i)
    bid += "投标文件 第" + std::to_string(i) + "行 报价 960,000.00 元\n";
  put(f("bid.txt"), bid);
  sh("openssl dgst -sha256 -binary -out " + f("bid.dgst") + " " + f("bid.txt"));
  phone = phone_answers(true);
  auto raw_out =
      tool("--login --sign --mechanism ECDSA -i " + f("bid.dgst") + " -o " + f("bid.sig"));
  answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer << "\n" << raw_out;
  EXPECT_NE(openssl_verifies(f("bid.sig"), f("bid.txt")).find("Verified OK"), std::string::npos);

  // OpenSSL through libp11's engine signs a file with the phone's P-256 key (libp11 uses
  // CKM_ECDSA over the digest OpenSSL computes and makes DER of the r‖s it gets).
  const std::string env = openssl_engine_env();
  const std::string uri = private_key_uri(id[1]);
  phone = phone_answers(true);
  auto engine_out = sh(env + "openssl dgst -sha256 -engine pkcs11 -keyform engine -sign '" + uri +
                       "' -out " + f("bid-engine.sig") + " " + f("bid.txt") + "; echo rc=$?");
  answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer << "\n" << engine_out;
  EXPECT_NE(engine_out.find("rc=0"), std::string::npos) << engine_out;
  EXPECT_NE(sh("openssl dgst -sha256 -verify " + f("pub.pem") + " -signature " +
               f("bid-engine.sig") + " " + f("bid.txt"))
                .find("Verified OK"),
            std::string::npos)
      << engine_out;
  EXPECT_EQ(sh("openssl dgst -sha256 -verify " + f("pub.pem") + " -signature " +
               f("bid-engine.sig") + " " + f("note.txt"))
                .find("Verified OK"),
            std::string::npos);

  // The phone says no: pkcs11-tool gets CKR_FUNCTION_REJECTED (0x200) and writes no signature.
  // (pkcs11-tool tries again multi-part after a failed C_Sign: the phone is asked twice.)
  phone = phone_answers(false, 2);
  auto refused = tool("--login --sign --mechanism ECDSA-SHA256 -i " + f("note.txt") + " -o " +
                      f("refused.sig"));
  answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer;
  EXPECT_EQ(answer.json()["items"][1]["status"], "refused") << answer;
  EXPECT_NE(refused.find("(0x200)"), std::string::npos) << refused;
  EXPECT_TRUE(read_all(f("refused.sig")).empty()) << refused;

  // The phone unlinks the PC: no objects any more.
  unlink_pc_and_expect_no_objects();
}

// In-process: the P-256 objects' attributes, the mechanisms a P-256 key has and those it has not,
// CKM_ECDSA inputs that are not a 32-byte digest, the two-call convention, a multi-part
// CKM_ECDSA_SHA256 the module hashes, and a refusal.
TEST_P(Pkcs11P256E2eTest, P256MechanismsBadInputAndRefusal) {
  pair("13912372002");
  CK_FUNCTION_LIST* p = pkcs11_module();
  const CK_SESSION_HANDLE s = open_logged_in();
  auto keys = find(s, CKO_PRIVATE_KEY), pubs = find(s, CKO_PUBLIC_KEY);
  ASSERT_EQ(keys.size(), 1u);
  ASSERT_EQ(pubs.size(), 1u);
  const CK_OBJECT_HANDLE key = keys[0];

  // CKK_EC on prime256v1, CKA_EC_POINT the DER OCTET STRING of the certificate's point, the same
  // CKA_ID (SHA-1 of the point) on both keys, nothing secret, no decryption.
  auto pub = crypto::PublicKey::from_pem(read_all(f("pub.pem")));
  ASSERT_TRUE(pub.ok());
  ASSERT_EQ(pub->type(), crypto::KeyType::kEcP256);
  const Bytes point = pub->ec_point().value();
  for (CK_OBJECT_HANDLE o : {key, pubs[0]}) {
    CK_KEY_TYPE kt = 0;
    std::memcpy(&kt, attr(s, o, CKA_KEY_TYPE).data(), sizeof kt);
    EXPECT_EQ(kt, static_cast<CK_KEY_TYPE>(CKK_EC));
    EXPECT_EQ(attr(s, o, CKA_EC_PARAMS), kP256Params);
  }
  Bytes octet_string = {0x04, 0x41};
  octet_string.insert(octet_string.end(), point.begin(), point.end());
  EXPECT_EQ(attr(s, pubs[0], CKA_EC_POINT), octet_string);
  Bytes sha1(SHA_DIGEST_LENGTH);
  SHA1(point.data(), point.size(), sha1.data());
  EXPECT_EQ(attr(s, key, CKA_ID), sha1);
  EXPECT_EQ(attr(s, pubs[0], CKA_ID), sha1);
  EXPECT_EQ(attr(s, key, CKA_DECRYPT), (Bytes{CK_FALSE}));
  EXPECT_EQ(attr(s, key, CKA_NEVER_EXTRACTABLE), (Bytes{CK_TRUE}));
  CK_ATTRIBUTE value{CKA_VALUE, nullptr, 0};
  EXPECT_EQ(p->C_GetAttributeValue(s, key, &value, 1), CKR_ATTRIBUTE_SENSITIVE);

  // Mechanisms of other key types on this key; mechanisms the module has not; decryption.
  CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0}, ecdsa256{CKM_ECDSA_SHA256, nullptr, 0};
  for (CK_MECHANISM_TYPE other : {kCkmSm2Sm3, kCkmSm2, static_cast<CK_MECHANISM_TYPE>(CKM_RSA_PKCS),
                                  static_cast<CK_MECHANISM_TYPE>(CKM_SHA256_RSA_PKCS)}) {
    CK_MECHANISM m{other, nullptr, 0};
    EXPECT_EQ(p->C_SignInit(s, &m, key), CKR_KEY_TYPE_INCONSISTENT) << other;
  }
  for (CK_MECHANISM_TYPE unknown : {static_cast<CK_MECHANISM_TYPE>(CKM_ECDSA_SHA384),
                                    static_cast<CK_MECHANISM_TYPE>(CKM_ECDSA_SHA1),
                                    static_cast<CK_MECHANISM_TYPE>(CKM_ECDH1_DERIVE)}) {
    CK_MECHANISM m{unknown, nullptr, 0};
    EXPECT_EQ(p->C_SignInit(s, &m, key), CKR_MECHANISM_INVALID) << unknown;
  }
  CK_MECHANISM sm2_dec{kCkmSm2Encrypt, nullptr, 0};
  EXPECT_EQ(p->C_DecryptInit(s, &sm2_dec, key), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(p->C_DecryptInit(s, &ecdsa, key), CKR_MECHANISM_INVALID);
  CK_MECHANISM_INFO info{};
  ASSERT_EQ(p->C_GetMechanismInfo(1, CKM_ECDSA_SHA256, &info), CKR_OK);
  EXPECT_EQ(info.ulMinKeySize, 256u);
  EXPECT_TRUE((info.flags & CKF_SIGN) && !(info.flags & CKF_DECRYPT));

  // CKM_ECDSA: the two-call convention first, then digests that are not 32 bytes, each ending
  // the operation without asking the phone.
  const std::string message = "开标记录 第6包";
  const Bytes digest = crypto::sha256(as_bytes(message));
  std::vector<CK_BYTE> sig(64);
  CK_ULONG sig_len = 0;
  ASSERT_EQ(p->C_SignInit(s, &ecdsa, key), CKR_OK);
  ASSERT_EQ(p->C_Sign(s, const_cast<CK_BYTE_PTR>(digest.data()), digest.size(), nullptr, &sig_len),
            CKR_OK);
  EXPECT_EQ(sig_len, 64u);
  sig_len = 63;
  EXPECT_EQ(
      p->C_Sign(s, const_cast<CK_BYTE_PTR>(digest.data()), digest.size(), sig.data(), &sig_len),
      CKR_BUFFER_TOO_SMALL);
  EXPECT_EQ(sig_len, 64u);
  Bytes sha1_digest(20, 0x5a), sha384_digest(48, 0x5a);
  EXPECT_EQ(p->C_Sign(s, sha1_digest.data(), sha1_digest.size(), sig.data(), &sig_len),
            CKR_DATA_LEN_RANGE);
  EXPECT_EQ(
      p->C_Sign(s, const_cast<CK_BYTE_PTR>(digest.data()), digest.size(), sig.data(), &sig_len),
      CKR_OPERATION_NOT_INITIALIZED);
  ASSERT_EQ(p->C_SignInit(s, &ecdsa, key), CKR_OK);
  EXPECT_EQ(p->C_Sign(s, sha384_digest.data(), sha384_digest.size(), sig.data(), &sig_len),
            CKR_DATA_LEN_RANGE);
  EXPECT_FALSE(phone_has_requests());  // nothing of the above reached the phone

  // The digest signed through the phone verifies (OpenSSL, over the message) as ECDSA-SHA256.
  ASSERT_EQ(p->C_SignInit(s, &ecdsa, key), CKR_OK);
  auto phone = phone_answers(true);
  sig_len = sig.size();
  ASSERT_EQ(
      p->C_Sign(s, const_cast<CK_BYTE_PTR>(digest.data()), digest.size(), sig.data(), &sig_len),
      CKR_OK);
  auto answered = phone.get();
  EXPECT_EQ(answered.exit_code, 0) << answered;
  EXPECT_TRUE(crypto::verify(*pub, crypto::SignScheme::kEcdsaSha256, as_bytes(message),
                             to_bytes(ec_raw_to_der(Bytes(sig.begin(), sig.end()))))
                  .ok());

  // Multi-part CKM_ECDSA_SHA256 over more than the phone is shown: the module hashes.
  const std::string big(40000, 'x');
  ASSERT_EQ(p->C_SignInit(s, &ecdsa256, key), CKR_OK);
  for (std::size_t off = 0; off < big.size(); off += 10000) {
    ASSERT_EQ(p->C_SignUpdate(s, reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(big.data() + off)),
                              10000),
              CKR_OK);
  }
  phone = phone_answers(true);
  sig_len = sig.size();
  ASSERT_EQ(p->C_SignFinal(s, sig.data(), &sig_len), CKR_OK);
  answered = phone.get();
  EXPECT_EQ(answered.exit_code, 0) << answered;
  EXPECT_TRUE(crypto::verify(*pub, crypto::SignScheme::kEcdsaSha256, as_bytes(big),
                             to_bytes(ec_raw_to_der(Bytes(sig.begin(), sig.end()))))
                  .ok());

  // The phone refuses: CKR_FUNCTION_REJECTED, and the operation is over.
  ASSERT_EQ(p->C_SignInit(s, &ecdsa256, key), CKR_OK);
  phone = phone_answers(false);
  sig_len = sig.size();
  EXPECT_EQ(p->C_Sign(s, reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(message.data())),
                      message.size(), sig.data(), &sig_len),
            CKR_FUNCTION_REJECTED);
  EXPECT_EQ(phone.get().exit_code, 0);
  EXPECT_EQ(p->C_Sign(s, reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(message.data())),
                      message.size(), sig.data(), &sig_len),
            CKR_OPERATION_NOT_INITIALIZED);
  EXPECT_EQ(p->C_Finalize(nullptr), CKR_OK);
}

// The API from the side of those who must be refused: mechanisms of other key types for the
// P-256 certificate, a digest of the wrong length, and a phone posting a signature the key did
// not make (garbage, or a DER signature instead of r‖s).
TEST_P(Pkcs11P256E2eTest, TheServerHoldsP256RequestsToTheKeysType) {
  pair("13912372003");
  const std::string owner = session_of(phone_);
  auto post = [&](const std::string& op, const std::string& mech, const Bytes& data) {
    return as_pc("POST", "/api/v1/pc/requests",
                 {{"certificate_id", inst_.cert_id},
                  {"operation", op},
                  {"mechanism", mech},
                  {"data", base64_encode(data)}});
  };
  Bytes sm2_cipher(120, 1);
  sm2_cipher[0] = 0x04;
  for (const auto& [op, mech, data] : std::vector<std::tuple<std::string, std::string, Bytes>>{
           {"sign", "sm2", Bytes(32, 1)},
           {"sign", "sm2-sm3", Bytes(5, 1)},
           {"sign", "rsa-sha256-digest", Bytes(32, 1)},
           {"decrypt", "sm2", sm2_cipher}}) {
    auto r = post(op, mech, data);
    EXPECT_EQ(r.status, 400) << mech << " " << r.body;
    EXPECT_EQ(r.json()["code"], "mechanism_key_mismatch") << r.body;
  }
  EXPECT_EQ(post("sign", "ecdsa-sha256-digest", Bytes(31, 1)).status, 400);
  EXPECT_EQ(post("sign", "ecdsa-sha384-digest", Bytes(48, 1)).status, 400);
  EXPECT_EQ(post("sign", "ecdsa-sha256", Bytes()).status, 400);
  EXPECT_FALSE(phone_has_requests());

  // A request the phone answers with something the key did not sign: refused, still pending.
  const Bytes digest = crypto::sha256(as_bytes("x"));
  auto req = post("sign", "ecdsa-sha256-digest", digest);
  ASSERT_EQ(req.status, 201) << req.body;
  const std::string id = req.json()["id"];
  auto pending = call("GET", "/api/v1/account/pc-requests/" + id, owner);
  EXPECT_EQ(pending.json()["key_algorithm"], "ec-p256") << pending.body;
  auto other_key =
      crypto::PrivateKey::generate(crypto::KeyType::kEcP256, crypto::process_rng()).value();
  const Bytes other_der =
      crypto::sign(other_key, crypto::SignScheme::kEcdsaSha256, as_bytes("x")).value();
  for (const Bytes& forged :
       {Bytes(64, 7), crypto::ec_sig_der_to_raw(other_der).value(), other_der}) {
    auto r = call("POST", "/api/v1/account/pc-requests/" + id + "/completion", owner,
                  {{"result", base64_encode(forged)}});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["code"], "bad_signature") << r.body;
  }
  EXPECT_EQ(as_pc("GET", "/api/v1/pc/requests/" + id).json()["status"], "pending");
  // The real phone answers it; the PC gets r‖s that verifies for the digest.
  auto answer = cli(phone_, {"--json", "pc", "confirm", id, "--yes"}, {pin_});
  ASSERT_EQ(answer.exit_code, 0) << answer;
  auto done = as_pc("GET", "/api/v1/pc/requests/" + id).json();
  ASSERT_EQ(done["status"], "completed") << done;
  const Bytes raw = base64_decode(done["result"].get<std::string>()).value();
  ASSERT_EQ(raw.size(), 64u);
  auto pub = crypto::PublicKey::from_pem(read_all(f("pub.pem")));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(crypto::verify(*pub, crypto::SignScheme::kEcdsaSha256, as_bytes("x"),
                             to_bytes(ec_raw_to_der(raw)))
                  .ok());
}

CERTSEAL_INSTANTIATE_API_ENGINES(Pkcs11P256E2eTest);

}  // namespace
}  // namespace certseal::testing

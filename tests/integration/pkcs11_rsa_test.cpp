// The phone's two-party RSA key as a PC key (docs/PKCS11.md "RSA keys"): a real certseald with an
// RSA CA, the real `certseal` client installing an rsa-2048 certificate (crypto/rsa_split.h) and
// pairing a PC, and libcertseal-pkcs11.so driven by OpenSSL's PKCS#11 engine (libp11, whose
// MODULE_PATH comes from an openssl config written in the test's temp dir, not the system's), by
// pkcs11-tool and in-process. The phone confirms every operation with the certificate password
// through `certseal pc confirm`, which runs the RSA two-party step (client/shield_rsa.cpp).
//
// Refusals from the side of whoever must be refused: the phone saying no (the openssl command
// fails; in-process C_Sign answers CKR_FUNCTION_REJECTED), a PC that is not paired (no RSA
// objects), a CKM_RSA_PKCS input that is not a SHA-256 DigestInfo (wrong length, or the right
// length with another algorithm: refused before the phone is asked), an RSA mechanism on the
// wrong key type and an SM2 mechanism on the RSA key (module and server), a phone posting a
// signature the key did not make.
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

// DER DigestInfo prefixes (RFC 8017 §9.2 note 1).
const Bytes kSha256Info = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                           0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
const Bytes kSha1Info = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                         0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};

class Pkcs11RsaE2eTest : public Pkcs11E2eFixture {
 public:
  std::vector<std::string> extra_server_args() const override {
    auto a = Pkcs11E2eFixture::extra_server_args();
    a.insert(a.end(), {"--set", "ca.rsao.algorithm=rsa-2048"});
    return a;
  }

 protected:
  // A phone with an rsa-2048 certificate (installed by the real client) and a PC paired with it.
  void pair(const std::string& phone_number) {
    inst_ = install_product(phone_number, "赵六", "110105194912310193", "rsa-2048", "rsao");
    ASSERT_FALSE(inst_.cert_id.empty());
    link_pc();
    ASSERT_NE(sh("openssl x509 -in " + f("leaf.pem") + " -noout -text").find("(2048 bit)"),
              std::string::npos);
  }
};

TEST_P(Pkcs11RsaE2eTest, OpensslEngineSignsAFileWithThePhonesRsaKey) {
  // Not paired: the token has no objects (RSA or other).
  auto unpaired = unpaired_tool("--login -O");
  EXPECT_EQ(unpaired.find("Object"), std::string::npos) << unpaired;

  pair("13912371001");
  // pkcs11-tool lists the RSA certificate, public and (after login) private key.
  auto listed = tool("--login -O");
  EXPECT_NE(listed.find("Certificate Object"), std::string::npos) << listed;
  EXPECT_NE(listed.find("Public Key Object; RSA 2048 bits"), std::string::npos) << listed;
  EXPECT_NE(listed.find("Private Key Object; RSA"), std::string::npos) << listed;
  EXPECT_NE(listed.find("赵六"), std::string::npos) << listed;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(listed, id, std::regex("ID:\\s+([0-9a-f]{40})"))) << listed;
  // The public key object is the certificate's key.
  tool("--read-object --type pubkey --id " + std::string(id[1]) + " --output-file " + f("tok-pub.der"));
  EXPECT_EQ(sh("openssl pkey -pubin -inform DER -in " + f("tok-pub.der") + " -outform PEM"),
            read_all(f("pub.pem")));
  auto mechs = tool("-M");
  EXPECT_NE(mechs.find("RSA-PKCS, keySize={2048,3072}, hw, decrypt, sign"), std::string::npos)
      << mechs;
  EXPECT_NE(mechs.find("SHA256-RSA-PKCS"), std::string::npos) << mechs;

  // OpenSSL through libp11's engine signs a file: the phone confirms with the password.
  std::string bid;
  for (int i = 0; i < 2000; ++i) bid += "投标文件 第" + std::to_string(i) + "行 报价 960,000.00 元\n";
  put(f("bid.txt"), bid);  // larger than what the phone is shown: the engine sends a digest
  const std::string env = openssl_engine_env();
  const std::string uri = private_key_uri(id[1]);
  auto phone = phone_answers(true);
  auto signed_out = sh(env + "openssl dgst -sha256 -engine pkcs11 -keyform engine -sign '" + uri +
                       "' -out " + f("bid.sig") + " " + f("bid.txt") + "; echo rc=$?");
  auto answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer << "\n" << signed_out;
  EXPECT_NE(signed_out.find("rc=0"), std::string::npos) << signed_out;
  EXPECT_NE(answer.err.find("投标电脑"), std::string::npos) << answer;  // the phone shows who asks
  EXPECT_EQ(read_all(f("bid.sig")).size(), 256u);
  EXPECT_NE(sh("openssl dgst -sha256 -verify " + f("pub.pem") + " -signature " + f("bid.sig") +
               " " + f("bid.txt"))
                .find("Verified OK"),
            std::string::npos);
  // The same signature is refused for another file.
  put(f("bid2.txt"), bid + " ");
  EXPECT_EQ(sh("openssl dgst -sha256 -verify " + f("pub.pem") + " -signature " + f("bid.sig") +
               " " + f("bid2.txt"))
                .find("Verified OK"),
            std::string::npos);

  // pkeyutl over a digest with the engine's key.
  sh("openssl dgst -sha256 -binary -out " + f("bid.dgst") + " " + f("bid.txt"));
  phone = phone_answers(true);
  auto pkeyutl = sh(env + "openssl pkeyutl -engine pkcs11 -keyform engine -inkey '" + uri +
                    "' -sign -pkeyopt digest:sha256 -in " + f("bid.dgst") + " -out " +
                    f("bid2.sig") + "; echo rc=$?");
  answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer << "\n" << pkeyutl;
  EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -pkeyopt digest:sha256 -in " +
               f("bid.dgst") + " -sigfile " + f("bid2.sig"))
                .find("Signature Verified Successfully"),
            std::string::npos);

  // pkcs11-tool with SHA256-RSA-PKCS (the module hashes): the phone sees the text itself.
  const std::string note = "确认开标 第3包";
  put(f("note.txt"), note);
  phone = phone_answers(true);
  auto tool_sig = tool("--login --sign -m SHA256-RSA-PKCS -i " + f("note.txt") + " -o " + f("note.sig"));
  answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer << "\n" << tool_sig;
  EXPECT_NE(answer.err.find(note), std::string::npos) << answer;
  EXPECT_NE(sh("openssl dgst -sha256 -verify " + f("pub.pem") + " -signature " + f("note.sig") +
               " " + f("note.txt"))
                .find("Verified OK"),
            std::string::npos);

  // The phone says no: the openssl command fails and writes no signature.
  phone = phone_answers(false);
  auto refused = sh(env + "openssl dgst -sha256 -engine pkcs11 -keyform engine -sign '" + uri +
                    "' -out " + f("bid3.sig") + " " + f("bid.txt") + "; echo rc=$?");
  answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer;
  EXPECT_EQ(answer.json()["status"], "refused") << answer;
  EXPECT_EQ(refused.find("rc=0"), std::string::npos) << refused;
  EXPECT_TRUE(read_all(f("bid3.sig")).empty()) << refused;

  // The phone unlinks the PC: no RSA objects any more.
  unlink_pc_and_expect_no_objects();
}

// In-process: the RSA objects' attributes, CKM_RSA_PKCS inputs that are not a SHA-256
// DigestInfo, mechanisms of the other key type, the two-call convention, decryption, a refusal.
TEST_P(Pkcs11RsaE2eTest, RsaMechanismsBadInputDecryptionAndRefusal) {
  pair("13912371002");
  CK_FUNCTION_LIST* p = pkcs11_module();
  const CK_SESSION_HANDLE s = open_logged_in();
  auto keys = find(s, CKO_PRIVATE_KEY), pubs = find(s, CKO_PUBLIC_KEY);
  ASSERT_EQ(keys.size(), 1u);
  ASSERT_EQ(pubs.size(), 1u);
  const CK_OBJECT_HANDLE key = keys[0];

  // CKK_RSA, the modulus and exponent (those of the certificate's key) on both keys, the same
  // CKA_ID, and nothing secret.
  for (CK_OBJECT_HANDLE o : {key, pubs[0]}) {
    CK_KEY_TYPE kt = 0;
    std::memcpy(&kt, attr(s, o, CKA_KEY_TYPE).data(), sizeof kt);
    EXPECT_EQ(kt, static_cast<CK_KEY_TYPE>(CKK_RSA));
  }
  const Bytes modulus = attr(s, pubs[0], CKA_MODULUS), exponent = attr(s, pubs[0], CKA_PUBLIC_EXPONENT);
  EXPECT_EQ(modulus.size(), 256u);
  EXPECT_EQ(exponent, (Bytes{0x01, 0x00, 0x01}));
  EXPECT_EQ(attr(s, key, CKA_MODULUS), modulus);
  EXPECT_EQ(attr(s, key, CKA_ID), attr(s, pubs[0], CKA_ID));
  Bytes sha1(SHA_DIGEST_LENGTH);
  SHA1(modulus.data(), modulus.size(), sha1.data());
  EXPECT_EQ(attr(s, key, CKA_ID), sha1);  // as the certificate's and the public key's
  auto pub = crypto::PublicKey::rsa_from_components(modulus, exponent);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->pem(), read_all(f("pub.pem")));
  for (CK_ATTRIBUTE_TYPE t : {CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2, CKA_VALUE}) {
    CK_ATTRIBUTE a{t, nullptr, 0};
    EXPECT_EQ(p->C_GetAttributeValue(s, key, &a, 1), CKR_ATTRIBUTE_SENSITIVE) << t;
  }

  // Mechanisms of the other key type on this key; RSA mechanisms it has not.
  CK_MECHANISM rsa{CKM_RSA_PKCS, nullptr, 0}, sha256rsa{CKM_SHA256_RSA_PKCS, nullptr, 0},
      sm2sm3{kCkmSm2Sm3, nullptr, 0}, ecdsa{CKM_ECDSA, nullptr, 0},
      pss{CKM_RSA_PKCS_PSS, nullptr, 0};
  EXPECT_EQ(p->C_SignInit(s, &sm2sm3, key), CKR_KEY_TYPE_INCONSISTENT);
  EXPECT_EQ(p->C_SignInit(s, &ecdsa, key), CKR_KEY_TYPE_INCONSISTENT);
  EXPECT_EQ(p->C_SignInit(s, &pss, key), CKR_MECHANISM_INVALID);
  EXPECT_EQ(p->C_DecryptInit(s, &sha256rsa, key), CKR_MECHANISM_INVALID);
  CK_MECHANISM_INFO info{};
  ASSERT_EQ(p->C_GetMechanismInfo(1, CKM_RSA_PKCS, &info), CKR_OK);
  EXPECT_EQ(info.ulMinKeySize, 2048u);
  EXPECT_TRUE((info.flags & CKF_SIGN) && (info.flags & CKF_DECRYPT));
  ASSERT_EQ(p->C_GetMechanismInfo(1, CKM_SHA256_RSA_PKCS, &info), CKR_OK);
  EXPECT_TRUE((info.flags & CKF_SIGN) && !(info.flags & CKF_DECRYPT));

  // CKM_RSA_PKCS signs a SHA-256 DigestInfo and nothing else; the two-call convention first.
  const Bytes digest = crypto::sha256(as_bytes("开标记录"));
  Bytes info256 = kSha256Info;
  info256.insert(info256.end(), digest.begin(), digest.end());
  std::vector<CK_BYTE> sig(256);
  CK_ULONG sig_len = 0;
  ASSERT_EQ(p->C_SignInit(s, &rsa, key), CKR_OK);
  ASSERT_EQ(p->C_Sign(s, info256.data(), info256.size(), nullptr, &sig_len), CKR_OK);
  EXPECT_EQ(sig_len, 256u);
  sig_len = 64;
  EXPECT_EQ(p->C_Sign(s, info256.data(), info256.size(), sig.data(), &sig_len), CKR_BUFFER_TOO_SMALL);
  EXPECT_EQ(sig_len, 256u);
  // The bare digest (no DigestInfo), a SHA-1 DigestInfo, 51 bytes that are not a SHA-256 one.
  EXPECT_EQ(p->C_Sign(s, info256.data() + 19, 32, sig.data(), &sig_len), CKR_DATA_LEN_RANGE);
  Bytes info1 = kSha1Info;
  info1.resize(info1.size() + 20, 0x5a);
  ASSERT_EQ(p->C_SignInit(s, &rsa, key), CKR_OK);
  EXPECT_EQ(p->C_Sign(s, info1.data(), info1.size(), sig.data(), &sig_len), CKR_DATA_LEN_RANGE);
  Bytes forged = info256;
  forged[14] = 0x03;  // id-sha384's OID in a SHA-256-length DigestInfo
  ASSERT_EQ(p->C_SignInit(s, &rsa, key), CKR_OK);
  EXPECT_EQ(p->C_Sign(s, forged.data(), forged.size(), sig.data(), &sig_len), CKR_DATA_INVALID);
  EXPECT_EQ(p->C_Sign(s, info256.data(), info256.size(), sig.data(), &sig_len),
            CKR_OPERATION_NOT_INITIALIZED);
  auto none = call("GET", "/api/v1/account/pc-requests", session_of(phone_));
  EXPECT_TRUE(none.json()["items"].empty()) << none.body;  // nothing of the above reached the phone

  // The DigestInfo signed through the phone verifies for that digest.
  ASSERT_EQ(p->C_SignInit(s, &rsa, key), CKR_OK);
  auto phone = phone_answers(true);
  sig_len = sig.size();
  ASSERT_EQ(p->C_Sign(s, info256.data(), info256.size(), sig.data(), &sig_len), CKR_OK);
  EXPECT_EQ(phone.get().exit_code, 0);
  EXPECT_TRUE(crypto::verify_rsa_pkcs1_sha256_digest(*pub, digest, Bytes(sig.begin(), sig.end())).ok());

  // Multi-part CKM_SHA256_RSA_PKCS over more than the phone is shown: the module hashes.
  const std::string big(40000, 'x');
  ASSERT_EQ(p->C_SignInit(s, &sha256rsa, key), CKR_OK);
  for (std::size_t off = 0; off < big.size(); off += 10000) {
    ASSERT_EQ(p->C_SignUpdate(s, reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(big.data() + off)),
                              10000),
              CKR_OK);
  }
  phone = phone_answers(true);
  sig_len = sig.size();
  ASSERT_EQ(p->C_SignFinal(s, sig.data(), &sig_len), CKR_OK);
  auto answered = phone.get();
  EXPECT_EQ(answered.exit_code, 0) << answered;
  EXPECT_TRUE(crypto::verify(*pub, crypto::SignScheme::kRsaPkcs1Sha256, as_bytes(big),
                             Bytes(sig.begin(), sig.end()))
                  .ok());

  // Decryption (PKCS#1 v1.5): the length query answers k − 11; a ciphertext not k bytes long
  // ends the operation without asking the phone.
  const std::string secret_text = "开标密钥 bid-key-0043";
  auto cipher = crypto::encrypt(*pub, crypto::EncryptScheme::kRsaPkcs1, as_bytes(secret_text));
  ASSERT_TRUE(cipher.ok());
  ASSERT_EQ(p->C_DecryptInit(s, &rsa, key), CKR_OK);
  CK_ULONG plain_len = 0;
  ASSERT_EQ(p->C_Decrypt(s, cipher->data(), cipher->size(), nullptr, &plain_len), CKR_OK);
  EXPECT_EQ(plain_len, 245u);
  std::vector<CK_BYTE> plain(plain_len);
  CK_ULONG small = 20;
  EXPECT_EQ(p->C_Decrypt(s, cipher->data(), cipher->size(), plain.data(), &small), CKR_BUFFER_TOO_SMALL);
  phone = phone_answers(true);
  ASSERT_EQ(p->C_Decrypt(s, cipher->data(), cipher->size(), plain.data(), &plain_len), CKR_OK);
  EXPECT_EQ(std::string(plain.begin(), plain.begin() + static_cast<long>(plain_len)), secret_text);
  EXPECT_EQ(phone.get().exit_code, 0);
  ASSERT_EQ(p->C_DecryptInit(s, &rsa, key), CKR_OK);
  EXPECT_EQ(p->C_Decrypt(s, cipher->data(), cipher->size() - 1, plain.data(), &plain_len),
            CKR_ENCRYPTED_DATA_LEN_RANGE);

  // The phone refuses: CKR_FUNCTION_REJECTED, and the operation is over.
  ASSERT_EQ(p->C_SignInit(s, &rsa, key), CKR_OK);
  phone = phone_answers(false);
  sig_len = sig.size();
  EXPECT_EQ(p->C_Sign(s, info256.data(), info256.size(), sig.data(), &sig_len), CKR_FUNCTION_REJECTED);
  EXPECT_EQ(phone.get().exit_code, 0);
  EXPECT_EQ(p->C_Sign(s, info256.data(), info256.size(), sig.data(), &sig_len),
            CKR_OPERATION_NOT_INITIALIZED);
  EXPECT_EQ(p->C_Finalize(nullptr), CKR_OK);
}

// The API from the side of those who must be refused: mechanisms of the other key type, an RSA
// ciphertext of the wrong length, and a phone posting a signature the key did not make.
TEST_P(Pkcs11RsaE2eTest, TheServerHoldsRsaRequestsToTheKeysType) {
  pair("13912371003");
  const std::string owner = session_of(phone_);
  auto post = [&](const std::string& op, const std::string& mech, const Bytes& data) {
    return as_pc("POST", "/api/v1/pc/requests",
                 {{"certificate_id", inst_.cert_id}, {"operation", op}, {"mechanism", mech},
                  {"data", base64_encode(data)}});
  };
  for (const auto& [op, mech, data] :
       std::vector<std::tuple<std::string, std::string, Bytes>>{
           {"sign", "sm2", Bytes(32, 1)}, {"sign", "sm2-sm3", Bytes(5, 1)}}) {
    auto r = post(op, mech, data);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["code"], "mechanism_key_mismatch") << r.body;
  }
  auto short_cipher = post("decrypt", "rsa-pkcs1", Bytes(255, 1));
  EXPECT_EQ(short_cipher.status, 400) << short_cipher.body;
  EXPECT_EQ(post("sign", "rsa-sha256-digest", Bytes(31, 1)).status, 400);
  EXPECT_EQ(post("sign", "rsa-pss", Bytes(32, 1)).status, 400);

  // A request the phone answers with a signature of something else: refused.
  const Bytes digest = crypto::sha256(as_bytes("x"));
  auto req = post("sign", "rsa-sha256-digest", digest);
  ASSERT_EQ(req.status, 201) << req.body;
  const std::string id = req.json()["id"];
  auto pending = call("GET", "/api/v1/account/pc-requests/" + id, owner);
  EXPECT_EQ(pending.json()["key_algorithm"], "rsa-2048") << pending.body;
  auto forged = call("POST", "/api/v1/account/pc-requests/" + id + "/completion", owner,
                     {{"result", base64_encode(Bytes(256, 7))}});
  EXPECT_EQ(forged.status, 400) << forged.body;
  EXPECT_EQ(forged.json()["code"], "bad_signature");
  EXPECT_EQ(as_pc("GET", "/api/v1/pc/requests/" + id).json()["status"], "pending");
  // The real phone answers it.
  auto answer = cli(phone_, {"--json", "pc", "confirm", id, "--yes"}, {pin_});
  ASSERT_EQ(answer.exit_code, 0) << answer;
  auto done = as_pc("GET", "/api/v1/pc/requests/" + id).json();
  ASSERT_EQ(done["status"], "completed") << done;
  auto pub = crypto::PublicKey::from_pem(read_all(f("pub.pem")));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(crypto::verify_rsa_pkcs1_sha256_digest(
                  *pub, digest, base64_decode(done["result"].get<std::string>()).value())
                  .ok());
}

CERTSEAL_INSTANTIATE_API_ENGINES(Pkcs11RsaE2eTest);

}  // namespace
}  // namespace certseal::testing

// The phone as a PC key end to end (docs/PKCS11.md): a real certseald, the real `certseal` client
// as the PC (`pc pair`) and as the phone (`pc accept`, `pc confirm`/`pc refuse`, its PIN cache),
// and libcertseal-pkcs11.so driven by pkcs11-tool (OpenSC) and in-process through its function
// list (concurrency and bad input). (OpenSSL's PKCS#11 engine cannot load SM2 keys on OpenSSL 3.0:
// docs/PKCS11.md; it signs with the phone's RSA and P-256 keys in pkcs11_rsa_test.cpp and
// pkcs11_p256_test.cpp.) Signatures are checked with the openssl CLI and with our SM2 verifier;
// decryption with a ciphertext made here.
//
// Refusals from the side of whoever must be refused: the phone saying no (the PC program gets
// CKR_FUNCTION_REJECTED), a PC that is not paired (no objects), a wrong pairing code (counted;
// five fail the pairing for good, the right code included), another account answering or
// reading a PC's request, a phone posting a signature the key did not make, a PC whose link the
// phone removed (its token opens nothing), and a module caller with wrong handles, mechanisms,
// data lengths and buffers.
#include <future>
#include <regex>
#include <thread>

#include "crypto/hash.h"
#include "crypto/sm2.h"
#include "support/pkcs11_fixture.h"

namespace certseal::testing {
namespace {

class Pkcs11E2eTest : public Pkcs11E2eFixture {
 protected:
  // A phone with an SM2 certificate and a PC paired with it through the real client.
  void pair(const std::string& phone_number) {
    inst_ = person_with_certificate(phone_, phone_number, "王五", "110105194912310177", pin_);
    ASSERT_FALSE(inst_.cert_id.empty());
    link_pc();
    auto status = cli(pc_, {"--json", "pc", "status"});
    ASSERT_EQ(status.exit_code, 0) << status;
    EXPECT_EQ(status.json()["status"], "active");
  }
};

TEST_P(Pkcs11E2eTest, PkcsToolListsLogsInSignsAndTheRefusalIsRejected) {
  // Not paired: the token is there, with no objects.
  put(f("none.json"), "");
  auto unpaired = sh("CERTSEAL_PC_CONFIG=" + f("none.json") + " pkcs11-tool --module " +
                     CERTSEAL_PKCS11_MODULE + " -O");
  EXPECT_EQ(unpaired.find("Object"), std::string::npos) << unpaired;
  auto slots = sh("CERTSEAL_PC_CONFIG=" + f("none.json") + " pkcs11-tool --module " +
                  CERTSEAL_PKCS11_MODULE + " -L");
  EXPECT_NE(slots.find("not paired"), std::string::npos) << slots;

  pair("13912370001");
  auto listed = tool("-O");
  EXPECT_NE(listed.find("Certificate Object"), std::string::npos) << listed;
  EXPECT_NE(listed.find("Public Key Object"), std::string::npos) << listed;
  EXPECT_EQ(listed.find("Private Key Object"), std::string::npos)
      << listed;  // private: after login only
  EXPECT_NE(listed.find("王五"), std::string::npos) << listed;
  auto logged_in = tool("--login -O");
  EXPECT_NE(logged_in.find("Private Key Object"), std::string::npos) << logged_in;
  // The certificate on the token is the phone's, and verifies against the platform's chain.
  std::smatch id;
  ASSERT_TRUE(std::regex_search(listed, id, std::regex("ID:\\s+([0-9a-f]{40})"))) << listed;
  tool("--read-object --type cert --id " + std::string(id[1]) + " --output-file " + f("tok.der"));
  EXPECT_EQ(sh("openssl x509 -inform DER -in " + f("tok.der") + " -noout -fingerprint -sha256"),
            sh("printf '%s\\n' '" + inst_.pem + "' | openssl x509 -noout -fingerprint -sha256"));
  EXPECT_NE(openssl_verify(sh("openssl x509 -inform DER -in " + f("tok.der"))).find(": OK"),
            std::string::npos);

  // SM2 with SM3 (vendor mechanism, GM/T 0006 number): the phone confirms with its password.
  const std::string message = "投标文件 第2包 报价 960,000.00 元";
  put(f("msg.txt"), message);
  auto phone = phone_answers(true);
  auto signed_out = tool("--login --sign -m 0x80020201 -i " + f("msg.txt") + " -o " + f("sig.raw"));
  auto answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer << "\n" << signed_out;
  EXPECT_NE(answer.err.find("投标电脑"), std::string::npos) << answer;  // the phone shows who asks
  EXPECT_NE(answer.err.find(message), std::string::npos) << answer;     // and what
  const std::string raw = read_all(f("sig.raw"));
  ASSERT_EQ(raw.size(), 64u) << signed_out;
  put(f("sig.der"), ec_raw_to_der(to_bytes(raw)));
  EXPECT_NE(
      sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -rawin -digest sm3 -in " +
         f("msg.txt") + " -sigfile " + f("sig.der") + " -pkeyopt distid:1234567812345678")
          .find("Signature Verified Successfully"),
      std::string::npos);

  // Raw SM2 of a digest through CKM_ECDSA (what generic consumers use), verified by openssl as SM2.
  sh("openssl dgst -sm3 -binary -out " + f("digest.bin") + " " + f("msg.txt"));
  phone = phone_answers(true);
  auto ecdsa_out = tool("--login --sign -m ECDSA -i " + f("digest.bin") + " -o " + f("sig2.raw"));
  answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer << "\n" << ecdsa_out;
  put(f("sig2.der"), ec_raw_to_der(to_bytes(read_all(f("sig2.raw")))));
  EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -in " + f("digest.bin") +
               " -sigfile " + f("sig2.der"))
                .find("Signature Verified Successfully"),
            std::string::npos);

  // The phone says no: the PC program gets CKR_FUNCTION_REJECTED and no signature. (pkcs11-tool
  // tries again multi-part after a failed C_Sign, so the phone is asked, and says no, twice.)
  phone = phone_answers(false, 2);
  auto refused = tool("--login --sign -m 0x80020201 -i " + f("msg.txt") + " -o " + f("sig3.raw"));
  answer = phone.get();
  ASSERT_EQ(answer.exit_code, 0) << answer;
  EXPECT_EQ(answer.json()["items"][1]["status"], "refused") << answer;
  // CKR_FUNCTION_REJECTED is 0x200 (pkcs11-tool has no name for it).
  EXPECT_NE(refused.find("C_SignFinal failed: rv = unknown PKCS11 error (0x200)"),
            std::string::npos)
      << refused;
  EXPECT_TRUE(read_all(f("sig3.raw")).empty());

  // The phone unlinks the PC: its module sees no objects any more.
  auto pcs = cli(phone_, {"--json", "pc", "list"});
  ASSERT_EQ(pcs.exit_code, 0) << pcs;
  const std::string link_id = pcs.json()["items"][0]["id"];
  ASSERT_EQ(cli(phone_, {"pc", "remove", link_id}).exit_code, 0);
  auto after = tool("-O");
  EXPECT_EQ(after.find("Object"), std::string::npos) << after;
}

// In-process: several threads sign through one module at once (the phone confirms them one after
// the other, the first with the password, the rest from its PIN cache); decryption; and every
// kind of bad input, answered per PKCS#11 without ending in a signature.
TEST_P(Pkcs11E2eTest, ConcurrentSignersDecryptionAndBadInput) {
  pair("13912370003");
  start_agent();
  CK_FUNCTION_LIST* p = pkcs11_module();
  (void)p->C_Finalize(nullptr);  // whatever an earlier failed run left
  // Application mutex callbacks without CKF_OS_LOCKING_OK: refused.
  CK_C_INITIALIZE_ARGS with_callbacks{};
  auto create = [](CK_VOID_PTR_PTR) -> CK_RV { return CKR_OK; };
  auto other = [](CK_VOID_PTR) -> CK_RV { return CKR_OK; };
  with_callbacks.CreateMutex = create;
  with_callbacks.DestroyMutex = other;
  with_callbacks.LockMutex = other;
  with_callbacks.UnlockMutex = other;
  EXPECT_EQ(p->C_Initialize(&with_callbacks), CKR_CANT_LOCK);
  CK_C_INITIALIZE_ARGS os{};
  os.flags = CKF_OS_LOCKING_OK;
  ASSERT_EQ(p->C_Initialize(&os), CKR_OK);
  EXPECT_EQ(p->C_Initialize(&os), CKR_CRYPTOKI_ALREADY_INITIALIZED);

  // Two-call convention on the slot list.
  CK_ULONG n = 0;
  ASSERT_EQ(p->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_OK);
  ASSERT_EQ(n, 1u);
  CK_SLOT_ID slot = 0;
  CK_ULONG zero = 0;
  EXPECT_EQ(p->C_GetSlotList(CK_TRUE, &slot, &zero), CKR_BUFFER_TOO_SMALL);
  ASSERT_EQ(p->C_GetSlotList(CK_TRUE, &slot, &n), CKR_OK);
  CK_SESSION_HANDLE s = 0;
  EXPECT_EQ(p->C_OpenSession(slot, 0, nullptr, nullptr, &s), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
  EXPECT_EQ(p->C_OpenSession(slot + 7, CKF_SERIAL_SESSION, nullptr, nullptr, &s),
            CKR_SLOT_ID_INVALID);
  ASSERT_EQ(p->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s), CKR_OK);

  auto find = [&](CK_SESSION_HANDLE sess, CK_OBJECT_CLASS cls) {
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}};
    std::vector<CK_OBJECT_HANDLE> out(8);
    CK_ULONG got = 0;
    EXPECT_EQ(p->C_FindObjectsInit(sess, t, 1), CKR_OK);
    EXPECT_EQ(p->C_FindObjects(sess, out.data(), out.size(), &got), CKR_OK);
    EXPECT_EQ(p->C_FindObjectsFinal(sess), CKR_OK);
    out.resize(got);
    return out;
  };
  EXPECT_TRUE(find(s, CKO_PRIVATE_KEY).empty());  // not logged in
  auto certs = find(s, CKO_CERTIFICATE);
  ASSERT_EQ(certs.size(), 1u);
  ASSERT_EQ(p->C_Login(s, CKU_USER, nullptr, 0), CKR_OK);
  EXPECT_EQ(p->C_Login(s, CKU_USER, nullptr, 0), CKR_USER_ALREADY_LOGGED_IN);
  EXPECT_EQ(p->C_Login(s, CKU_SO, nullptr, 0), CKR_USER_TYPE_INVALID);
  auto keys = find(s, CKO_PRIVATE_KEY);
  ASSERT_EQ(keys.size(), 1u);
  const CK_OBJECT_HANDLE key = keys[0];

  // Attributes: the two-call convention, a buffer too small, a sensitive value, an unknown type.
  CK_ATTRIBUTE value{CKA_VALUE, nullptr, 0};
  ASSERT_EQ(p->C_GetAttributeValue(s, certs[0], &value, 1), CKR_OK);
  EXPECT_GT(value.ulValueLen, 100u);
  std::vector<CK_BYTE> small(10);
  value.pValue = small.data();
  value.ulValueLen = small.size();
  EXPECT_EQ(p->C_GetAttributeValue(s, certs[0], &value, 1), CKR_BUFFER_TOO_SMALL);
  EXPECT_EQ(value.ulValueLen, CK_UNAVAILABLE_INFORMATION);
  CK_ATTRIBUTE secret{CKA_VALUE, nullptr, 0};
  EXPECT_EQ(p->C_GetAttributeValue(s, key, &secret, 1), CKR_ATTRIBUTE_SENSITIVE);
  CK_BBOOL never = CK_FALSE;
  CK_ATTRIBUTE never_extractable{CKA_NEVER_EXTRACTABLE, &never, sizeof never};
  EXPECT_EQ(p->C_GetAttributeValue(s, key, &never_extractable, 1), CKR_OK);
  EXPECT_EQ(never, CK_TRUE);
  CK_ATTRIBUTE modulus{CKA_MODULUS, nullptr, 0};
  EXPECT_EQ(p->C_GetAttributeValue(s, key, &modulus, 1), CKR_ATTRIBUTE_TYPE_INVALID);
  EXPECT_EQ(p->C_GetAttributeValue(s, 999999, &value, 1), CKR_OBJECT_HANDLE_INVALID);

  // Wrong handles and mechanisms.
  CK_MECHANISM sm2{kCkmSm2, nullptr, 0}, rsa{CKM_RSA_PKCS, nullptr, 0},
      dec{kCkmSm2Encrypt, nullptr, 0};
  CK_BYTE param[4] = {1, 2, 3, 4};
  CK_MECHANISM with_param{kCkmSm2Sm3, param, sizeof param};
  EXPECT_EQ(p->C_SignInit(s + 1000, &sm2, key), CKR_SESSION_HANDLE_INVALID);
  EXPECT_EQ(p->C_SignInit(s, &sm2, 424242), CKR_KEY_HANDLE_INVALID);
  EXPECT_EQ(p->C_SignInit(s, &sm2, certs[0]), CKR_KEY_TYPE_INCONSISTENT);
  EXPECT_EQ(p->C_SignInit(s, &rsa, key), CKR_KEY_TYPE_INCONSISTENT);  // an RSA mechanism, SM2 key
  CK_MECHANISM ecdsa256{CKM_ECDSA_SHA256, nullptr, 0};  // P-256 keys only: SM2 is no ECDSA
  EXPECT_EQ(p->C_SignInit(s, &ecdsa256, key), CKR_KEY_TYPE_INCONSISTENT);
  EXPECT_EQ(p->C_SignInit(s, &dec, key), CKR_MECHANISM_INVALID);
  EXPECT_EQ(p->C_SignInit(s, &with_param, key), CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(p->C_DecryptInit(s, &sm2, key), CKR_MECHANISM_INVALID);
  CK_BYTE digest[32] = {0};
  CK_BYTE sig[64];
  CK_ULONG sig_len = sizeof sig;
  EXPECT_EQ(p->C_Sign(s, digest, sizeof digest, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);
  // Buffers: NULL gives the length, too small says so, and the operation stays active for both.
  ASSERT_EQ(p->C_SignInit(s, &sm2, key), CKR_OK);
  EXPECT_EQ(p->C_SignInit(s, &sm2, key), CKR_OPERATION_ACTIVE);
  sig_len = 0;
  ASSERT_EQ(p->C_Sign(s, digest, sizeof digest, nullptr, &sig_len), CKR_OK);
  EXPECT_EQ(sig_len, 64u);
  sig_len = 10;
  EXPECT_EQ(p->C_Sign(s, digest, sizeof digest, sig, &sig_len), CKR_BUFFER_TOO_SMALL);
  EXPECT_EQ(sig_len, 64u);
  // Raw SM2 needs a 32-byte digest: another length ends the operation without asking the phone.
  sig_len = sizeof sig;
  EXPECT_EQ(p->C_Sign(s, digest, 31, sig, &sig_len), CKR_DATA_LEN_RANGE);
  EXPECT_EQ(p->C_Sign(s, digest, sizeof digest, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);
  auto none = call("GET", "/api/v1/account/pc-requests", session_of(phone_));
  EXPECT_TRUE(none.json()["items"].empty()) << none.body;  // nothing of the above reached the phone

  // Concurrency: four threads, four sessions, four digests, one module.
  constexpr int kThreads = 4;
  auto phone = phone_answers(true, kThreads);
  std::vector<std::thread> threads;
  std::vector<CK_RV> rvs(kThreads, CKR_GENERAL_ERROR);
  std::vector<Bytes> digests(kThreads), sigs(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    digests[i] = crypto::sha256(as_bytes("digest " + std::to_string(i)));
    threads.emplace_back([&, i] {
      CK_SESSION_HANDLE mine = 0;
      if (p->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &mine) != CKR_OK) return;
      CK_MECHANISM m{kCkmSm2, nullptr, 0};
      if (p->C_SignInit(mine, &m, key) != CKR_OK) return;
      CK_BYTE out[64];
      CK_ULONG len = sizeof out;
      rvs[i] = p->C_Sign(mine, digests[i].data(), digests[i].size(), out, &len);
      sigs[i].assign(out, out + len);
      p->C_CloseSession(mine);
    });
  }
  for (auto& t : threads) t.join();
  auto answered = phone.get();
  ASSERT_EQ(answered.exit_code, 0) << answered;
  const Bytes point = [&] {
    CK_BYTE buf[80];
    CK_ATTRIBUTE a{CKA_EC_POINT, buf, sizeof buf};
    auto pubs = find(s, CKO_PUBLIC_KEY);
    EXPECT_EQ(p->C_GetAttributeValue(s, pubs.at(0), &a, 1), CKR_OK);
    return Bytes(buf + 2, buf + a.ulValueLen);  // inside the DER OCTET STRING
  }();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(rvs[i], CKR_OK) << i;
    EXPECT_TRUE(crypto::sm2_verify_digest(point, digests[i], sigs[i]).ok()) << i;
  }

  // Decryption of an SM2 ciphertext to the phone's key; the plaintext length is known up front.
  SystemRng rng;
  const std::string secret_text = "开标密钥 bid-key-0042";
  auto cipher = crypto::sm2_encrypt_to_point(point, as_bytes(secret_text), rng).value();
  ASSERT_EQ(p->C_DecryptInit(s, &dec, key), CKR_OK);
  CK_ULONG plain_len = 0;
  ASSERT_EQ(p->C_Decrypt(s, cipher.data(), cipher.size(), nullptr, &plain_len), CKR_OK);
  EXPECT_EQ(plain_len, secret_text.size());
  std::vector<CK_BYTE> plain(plain_len);
  phone = phone_answers(true);
  ASSERT_EQ(p->C_Decrypt(s, cipher.data(), cipher.size(), plain.data(), &plain_len), CKR_OK);
  EXPECT_EQ(std::string(plain.begin(), plain.end()), secret_text);
  EXPECT_EQ(phone.get().exit_code, 0);

  // The phone refuses: C_Sign answers CKR_FUNCTION_REJECTED, and the operation is over.
  ASSERT_EQ(p->C_SignInit(s, &sm2, key), CKR_OK);
  phone = phone_answers(false);
  sig_len = sizeof sig;
  EXPECT_EQ(p->C_Sign(s, digest, sizeof digest, sig, &sig_len), CKR_FUNCTION_REJECTED);
  EXPECT_EQ(phone.get().exit_code, 0);
  EXPECT_EQ(p->C_Sign(s, digest, sizeof digest, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);

  EXPECT_EQ(p->C_Logout(s), CKR_OK);
  EXPECT_EQ(p->C_SignInit(s, &sm2, key), CKR_USER_NOT_LOGGED_IN);
  EXPECT_EQ(p->C_CloseSession(s), CKR_OK);
  EXPECT_EQ(p->C_CloseSession(s), CKR_SESSION_HANDLE_INVALID);
  EXPECT_EQ(p->C_Finalize(nullptr), CKR_OK);
  EXPECT_EQ(p->C_Finalize(nullptr), CKR_CRYPTOKI_NOT_INITIALIZED);
}

// The API from the side of those who must be refused.
TEST_P(Pkcs11E2eTest, PairingCodesTokensAndAnswersAreOnlyTheOwners) {
  pair("13912370004");
  const std::string owner = session_of(phone_);
  // A stranger with an account of their own.
  const std::string stranger_dir = dev("stranger");
  register_cli(stranger_dir, "13912370005");
  const std::string stranger = session_of(stranger_dir);

  // A PC request: the stranger can neither read nor answer it; a forged signature is refused.
  auto req = as_pc_with(pc_token_, "POST", "/api/v1/pc/requests",
                   {{"certificate_id", inst_.cert_id},
                    {"operation", "sign"},
                    {"mechanism", "sm2"},
                    {"data", base64_encode(crypto::sha256(as_bytes("x")))}});
  ASSERT_EQ(req.status, 201) << req.body;
  const std::string id = req.json()["id"];
  EXPECT_EQ(call("GET", "/api/v1/account/pc-requests/" + id, stranger).status, 404);
  EXPECT_EQ(
      call("POST", "/api/v1/account/pc-requests/" + id + "/refusal", stranger, {{"reason", "x"}})
          .status,
      404);
  EXPECT_EQ(call("POST", "/api/v1/account/pc-requests/" + id + "/completion", stranger,
                 {{"result", base64_encode(Bytes(64, 1))}})
                .status,
            404);
  EXPECT_TRUE(call("GET", "/api/v1/account/pc-requests", stranger).json()["items"].empty());
  auto forged = call("POST", "/api/v1/account/pc-requests/" + id + "/completion", owner,
                     {{"result", base64_encode(Bytes(64, 7))}});
  EXPECT_EQ(forged.status, 400) << forged.body;
  EXPECT_EQ(forged.json()["code"], "bad_signature");
  EXPECT_EQ(as_pc_with(pc_token_, "GET", "/api/v1/pc/requests/" + id).json()["status"], "pending");
  // Another certificate id, a made-up token, no token: nothing.
  EXPECT_EQ(as_pc_with(pc_token_, "POST", "/api/v1/pc/requests",
                  {{"certificate_id", "nope"},
                   {"operation", "sign"},
                   {"mechanism", "sm2"},
                   {"data", base64_encode(Bytes(32, 1))}})
                .status,
            404);
  EXPECT_EQ(as_pc_with("pc_madeup", "GET", "/api/v1/pc/certificates").status, 401);
  EXPECT_EQ(http_->get("/api/v1/pc/certificates").status, 401);
  EXPECT_EQ(as_pc_with(pc_token_, "GET", "/api/v1/pc/requests/" + id).status, 200);

  // Pairing codes: a wrong one is refused and counted; after five the pairing is dead.
  auto started = http_->post_json("/api/v1/pc/pairings", {{"name", "别人的电脑"}});
  ASSERT_EQ(started.status, 201) << started.body;
  const std::string link = started.json()["id"], right = started.json()["code"];
  for (int i = 0; i < 5; ++i) {
    auto wrong = call("POST", "/api/v1/pc-pairings/" + link + "/approval", stranger,
                      {{"code", "AAAA-AAAA-AAAA"}});
    EXPECT_EQ(wrong.status, 403) << wrong.body;
    EXPECT_EQ(wrong.json()["code"], "pc_pairing_code_mismatch");
  }
  auto late =
      call("POST", "/api/v1/pc-pairings/" + link + "/approval", stranger, {{"code", right}});
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(as_pc_with(started.json()["token"], "GET", "/api/v1/pc/certificates").status, 401);

  // The owner removes the PC: its token opens nothing, its open request ends refused.
  auto pcs = call("GET", "/api/v1/account/pcs", owner).json()["items"];
  ASSERT_EQ(pcs.size(), 1u);
  EXPECT_EQ(
      call("POST", "/api/v1/account/pcs/" + pcs[0]["id"].get<std::string>() + "/removal", stranger)
          .status,
      404);
  EXPECT_EQ(
      call("POST", "/api/v1/account/pcs/" + pcs[0]["id"].get<std::string>() + "/removal", owner)
          .status,
      200);
  EXPECT_EQ(as_pc_with(pc_token_, "GET", "/api/v1/pc/certificates").status, 401);
  EXPECT_EQ(as_pc_with(pc_token_, "GET", "/api/v1/pc/requests/" + id).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/account/pc-requests/" + id, owner).json()["status"], "refused");
}

CERTSEAL_INSTANTIATE_API_ENGINES(Pkcs11E2eTest);

// Requests nobody answers end: with pc.request_ttl_s = 2 the module returns CKR_FUNCTION_CANCELED
// and the phone can no longer answer (409 pc_request_expired).
class Pkcs11ExpiryTest : public Pkcs11E2eTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    auto args = Pkcs11E2eTest::extra_server_args();
    args.insert(args.end(), {"--set", "pc.request_ttl_s=2"});
    return args;
  }
};

TEST_P(Pkcs11ExpiryTest, UnansweredRequestsEnd) {
  pair("13912370006");
  const std::string owner = session_of(phone_);
  CK_FUNCTION_LIST* p = pkcs11_module();
  (void)p->C_Finalize(nullptr);
  ASSERT_EQ(p->C_Initialize(nullptr), CKR_OK);
  CK_SESSION_HANDLE s = 0;
  ASSERT_EQ(p->C_OpenSession(1, CKF_SERIAL_SESSION, nullptr, nullptr, &s), CKR_OK);
  ASSERT_EQ(p->C_Login(s, CKU_USER, nullptr, 0), CKR_OK);
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}};
  CK_OBJECT_HANDLE key = 0;
  CK_ULONG n = 0;
  ASSERT_EQ(p->C_FindObjectsInit(s, t, 1), CKR_OK);
  ASSERT_EQ(p->C_FindObjects(s, &key, 1, &n), CKR_OK);
  ASSERT_EQ(p->C_FindObjectsFinal(s), CKR_OK);
  ASSERT_EQ(n, 1u);
  CK_MECHANISM m{kCkmSm2Sm3, nullptr, 0};
  ASSERT_EQ(p->C_SignInit(s, &m, key), CKR_OK);
  CK_BYTE data[] = "nobody answers";
  CK_BYTE sig[64];
  CK_ULONG len = sizeof sig;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(p->C_Sign(s, data, sizeof data - 1, sig, &len), CKR_FUNCTION_CANCELED);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  EXPECT_EQ(p->C_Finalize(nullptr), CKR_OK);

  // The phone comes too late.
  auto req = as_pc_with(pc_token_, "POST", "/api/v1/pc/requests",
                   {{"certificate_id", inst_.cert_id},
                    {"operation", "sign"},
                    {"mechanism", "sm2"},
                    {"data", base64_encode(crypto::sha256(as_bytes("late")))}});
  ASSERT_EQ(req.status, 201) << req.body;
  const std::string id = req.json()["id"];
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  EXPECT_TRUE(call("GET", "/api/v1/account/pc-requests", owner).json()["items"].empty());
  auto late = call("POST", "/api/v1/account/pc-requests/" + id + "/refusal", owner, {{"reason", "late"}});
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(late.json()["code"], "pc_request_expired");
  EXPECT_EQ(as_pc_with(pc_token_, "GET", "/api/v1/pc/requests/" + id).json()["status"], "expired");
}

CERTSEAL_INSTANTIATE_API_ENGINES(Pkcs11ExpiryTest);


}  // namespace
}  // namespace certseal::testing

// The fixture of the phone-as-a-PC-key tests (docs/PKCS11.md): SM2 (pkcs11_test.cpp), RSA
// (pkcs11_rsa_test.cpp) and two-party P-256 (pkcs11_p256_test.cpp). A phone (the real `certseal`
// client) with a certificate, a PC paired with it through `pc pair` / `pc accept`, and the ways a
// PC program reaches libcertseal-pkcs11.so: pkcs11-tool, OpenSSL's PKCS#11 engine (libp11, with
// MODULE_PATH from an openssl config written in the test's temp dir, not the system's), and the
// module loaded in this process. The phone answers through `certseal pc confirm|refuse`.
//
// Usage:
//   class MyTest : public Pkcs11E2eFixture { … };
//   TEST_P(MyTest, X) {
//     inst_ = install_product("13912379999", "赵六", "110105194912310193", "rsa-2048", "rsao");
//     link_pc();                              // pc.json, CERTSEAL_PC_CONFIG
//     auto phone = phone_answers(true);       // in the background
//     tool("--login --sign -m … -i in -o out");
//     phone.get();
//   }
#pragma once

#include <dlfcn.h>

#include <p11-kit/pkcs11.h>

#include <cstdlib>
#include <future>
#include <regex>
#include <string>
#include <vector>

#include "support/client_fixture.h"

namespace certseal::testing {

inline constexpr CK_MECHANISM_TYPE kCkmSm2 = CKM_VENDOR_DEFINED | 0x00020100UL;
inline constexpr CK_MECHANISM_TYPE kCkmSm2Sm3 = CKM_VENDOR_DEFINED | 0x00020201UL;
inline constexpr CK_MECHANISM_TYPE kCkmSm2Encrypt = CKM_VENDOR_DEFINED | 0x00020800UL;

// The module loaded in this process (once: a PKCS#11 library lives for the process).
inline CK_FUNCTION_LIST* pkcs11_module() {
  static CK_FUNCTION_LIST* fl = [] {
    void* h = ::dlopen(CERTSEAL_PKCS11_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (!h) return static_cast<CK_FUNCTION_LIST*>(nullptr);
    auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(h, "C_GetFunctionList"));
    CK_FUNCTION_LIST* out = nullptr;
    if (!get || get(&out) != CKR_OK) return static_cast<CK_FUNCTION_LIST*>(nullptr);
    return out;
  }();
  return fl;
}

// DER ECDSA-Sig-Value of a raw r‖s (64 bytes), written here rather than with the code under test.
inline std::string ec_raw_to_der(const Bytes& raw) {
  auto integer = [](Bytes v) {
    while (v.size() > 1 && v[0] == 0 && !(v[1] & 0x80)) v.erase(v.begin());
    if (v[0] & 0x80) v.insert(v.begin(), 0);
    Bytes out = {0x02, static_cast<std::uint8_t>(v.size())};
    out.insert(out.end(), v.begin(), v.end());
    return out;
  };
  Bytes r = integer(Bytes(raw.begin(), raw.begin() + 32)),
        s = integer(Bytes(raw.begin() + 32, raw.end()));
  Bytes der = {0x30, static_cast<std::uint8_t>(r.size() + s.size())};
  der.insert(der.end(), r.begin(), r.end());
  der.insert(der.end(), s.begin(), s.end());
  return to_string(der);
}

class Pkcs11E2eFixture : public ClientE2eTest {
 protected:
  void SetUp() override {
    ClientE2eTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    ASSERT_NE(pkcs11_module(), nullptr) << "cannot load " << CERTSEAL_PKCS11_MODULE;
    phone_ = dev("phone");
    pc_ = dev("pc");
  }
  void TearDown() override {
    if (agent_started_) cli(phone_, {"agent", "stop"});
    ::unsetenv("CERTSEAL_PC_CONFIG");
    ClientE2eTest::TearDown();
  }

  // A verified person on the phone with an installed certificate of a product of `algorithm`
  // from CA `ca` (a new product; for the default SM2 product use person_with_certificate).
  Installed install_product(const std::string& phone_number, const std::string& name,
                            const std::string& id_number, const std::string& algorithm,
                            const std::string& ca) {
    register_cli(phone_, phone_number);
    verify_cli(phone_, phone_number, name, id_number);
    catalogue();
    auto p = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"},
                   {"name", "个人证书 " + algorithm},
                   {"cert_type", "personal"},
                   {"algorithm", algorithm},
                   {"validity_years", 1},
                   {"price_fen", 12000},
                   {"ca_id", ca},
                   {"seal_type", "handwritten"}});
    EXPECT_EQ(p.status, 201) << p.body;
    product_ = p.json().value("id", "");
    return install_cli(phone_, buy_cli(phone_, phone_number), pin_);
  }

  // Pairs the PC with the phone through the real client: pc.json, its token, and
  // CERTSEAL_PC_CONFIG for the module loaded in this process; pub.pem is the certificate's key.
  void link_pc() {
    auto started = cli(pc_, {"--json", "pc", "pair", "--no-wait", "--name", "投标电脑"});
    ASSERT_EQ(started.exit_code, 0) << started;
    payload_ = started.json()["qr_payload"];
    auto accepted = cli(phone_, {"--json", "pc", "accept", "--payload", payload_, "--yes"});
    ASSERT_EQ(accepted.exit_code, 0) << accepted;
    EXPECT_EQ(accepted.json()["status"], "active");
    config_ = pc_ + "/pc.json";
    pc_token_ = nlohmann::json::parse(read_all(config_))["token"];
    ::setenv("CERTSEAL_PC_CONFIG", config_.c_str(), 1);
    put(f("leaf.pem"), inst_.pem);
    put(f("pub.pem"), sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout"));
  }
  void start_agent() {
    ASSERT_EQ(cli(phone_, {"agent", "start", "--ttl", "10m"}).exit_code, 0);
    agent_started_ = true;
  }

  std::string tool(const std::string& args) {
    return sh("CERTSEAL_PC_CONFIG=" + config_ + " pkcs11-tool --module " + CERTSEAL_PKCS11_MODULE +
              " " + args);
  }
  // pkcs11-tool with a pc.json that holds nothing: the module is not paired.
  std::string unpaired_tool(const std::string& args) {
    put(f("none.json"), "");
    return sh("CERTSEAL_PC_CONFIG=" + f("none.json") + " pkcs11-tool --module " +
              CERTSEAL_PKCS11_MODULE + " " + args);
  }
  // An openssl config in the temp dir that loads libp11's engine with our module; the returned
  // environment prefix points openssl at it.
  std::string openssl_engine_env() {
    std::smatch m;
    const std::string v = sh("openssl version -e");
    std::string engines;
    if (std::regex_search(v, m, std::regex("ENGINESDIR: \"([^\"]+)\""))) engines = m[1];
    EXPECT_TRUE(fs::exists(engines + "/pkcs11.so"))
        << "libp11's engine is missing (libengine-pkcs11-openssl): " << v;
    put(f("openssl.cnf"),
        "openssl_conf = openssl_init\n"
        "[openssl_init]\nengines = engine_section\n"
        "[engine_section]\npkcs11 = pkcs11_section\n"
        "[pkcs11_section]\nengine_id = pkcs11\n"
        "dynamic_path = " +
            engines +
            "/pkcs11.so\n"
            "MODULE_PATH = " +
            std::string(CERTSEAL_PKCS11_MODULE) +
            "\n"
            "init = 0\n");
    return "OPENSSL_CONF=" + f("openssl.cnf") + " CERTSEAL_PC_CONFIG=" + config_ + " ";
  }
  // The private key's PKCS#11 URI from its CKA_ID in hex (as pkcs11-tool lists it).
  static std::string private_key_uri(const std::string& id_hex) {
    return "pkcs11:id=%" + std::regex_replace(id_hex, std::regex("(..)(?!$)"), "$1%") +
           ";type=private";
  }

  // The phone answers the next `count` PC requests in the background: confirm with the
  // certificate password (given once per request: RSA and P-256 keys ask each time; an SM2 key
  // with the PIN cache running asks once), or refuse.
  std::future<CliResult> phone_answers(bool confirm, int count = 1) {
    std::vector<std::string> args = {"--json", "pc", confirm ? "confirm" : "refuse", "--wait",
                                     "90"};
    if (confirm) args.push_back("--yes");
    if (count > 1) {
      args.push_back("--count");
      args.push_back(std::to_string(count));
    }
    std::vector<std::string> input(static_cast<std::size_t>(count), pin_);
    return std::async(std::launch::async, [this, args, input] { return cli(phone_, args, input); });
  }
  // A call with a PC token (`Authorization: PC …`): the paired PC's, or another.
  HttpResponse as_pc_with(const std::string& token, const std::string& method,
                          const std::string& path, const nlohmann::json& body = nullptr) {
    std::vector<std::string> h = {"Authorization: PC " + token};
    if (!body.is_null()) h.push_back("Content-Type: application/json");
    return http_->request(method, path, body.is_null() ? std::string() : body.dump(), h);
  }
  HttpResponse as_pc(const std::string& method, const std::string& path,
                     const nlohmann::json& body = nullptr) {
    return as_pc_with(pc_token_, method, path, body);
  }
  std::string session_of(const std::string& d) {
    return nlohmann::json::parse(read_all(d + "/session.json"))["token"];
  }
  // The phone unlinks its only PC (`certseal pc remove`); pkcs11-tool then lists no object.
  void unlink_pc_and_expect_no_objects() {
    auto pcs = cli(phone_, {"--json", "pc", "list"});
    ASSERT_EQ(pcs.exit_code, 0) << pcs;
    ASSERT_EQ(cli(phone_, {"pc", "remove", pcs.json()["items"][0]["id"]}).exit_code, 0);
    auto after = tool("--login -O");
    EXPECT_EQ(after.find("Object"), std::string::npos) << after;
  }
  // Whether any request reached the phone.
  bool phone_has_requests() {
    return !call("GET", "/api/v1/account/pc-requests", session_of(phone_)).json()["items"].empty();
  }

  // In-process: a session of the module loaded here (C_Initialize'd afresh), logged in.
  CK_SESSION_HANDLE open_logged_in() {
    CK_FUNCTION_LIST* p = pkcs11_module();
    (void)p->C_Finalize(nullptr);  // whatever an earlier failed run left
    EXPECT_EQ(p->C_Initialize(nullptr), CKR_OK);
    CK_SESSION_HANDLE s = 0;
    EXPECT_EQ(p->C_OpenSession(1, CKF_SERIAL_SESSION, nullptr, nullptr, &s), CKR_OK);
    EXPECT_EQ(p->C_Login(s, CKU_USER, nullptr, 0), CKR_OK);
    return s;
  }
  // The objects of a class the session sees.
  std::vector<CK_OBJECT_HANDLE> find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls) {
    CK_FUNCTION_LIST* p = pkcs11_module();
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}};
    std::vector<CK_OBJECT_HANDLE> out(8);
    CK_ULONG got = 0;
    EXPECT_EQ(p->C_FindObjectsInit(s, t, 1), CKR_OK);
    EXPECT_EQ(p->C_FindObjects(s, out.data(), out.size(), &got), CKR_OK);
    EXPECT_EQ(p->C_FindObjectsFinal(s), CKR_OK);
    out.resize(got);
    return out;
  }
  // An attribute's value, read with the two-call convention.
  Bytes attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t) {
    CK_FUNCTION_LIST* p = pkcs11_module();
    CK_ATTRIBUTE a{t, nullptr, 0};
    EXPECT_EQ(p->C_GetAttributeValue(s, o, &a, 1), CKR_OK) << t;
    if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return {};
    Bytes v(a.ulValueLen);
    a.pValue = v.data();
    EXPECT_EQ(p->C_GetAttributeValue(s, o, &a, 1), CKR_OK) << t;
    return v;
  }

  std::string phone_, pc_, payload_, config_, pc_token_;
  const std::string pin_ = "Pin#pc-key";
  Installed inst_;
  bool agent_started_ = false;
};

}  // namespace certseal::testing

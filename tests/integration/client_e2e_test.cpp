// The `certseal` client end to end (issue #7): the real binary, spawned with passwords fed through
// --password-fd pipes, against a real certseald on both engines whose SM2 CA signs with the ID the
// OpenSSL 3.0 CLI uses (`ca.sm2o.sm2_id = ""`, docs/PKI.md), so `openssl verify` checks every
// certificate as is.
//
//   * ClientEndToEnd: register, real-name verification (dev verifier), buy a personal SM2
//     certificate through the sandbox gateway, operator approval (HTTP), install, sign (checked by
//     `openssl pkeyutl`, `openssl dgst` and sm-crypto), decrypt, the PIN cache, `--copy`, renew,
//     change, revoke (CRL), each certificate through `openssl verify`.
//   * CopiedShareFileCannotSign (then a reissue after a platform notice),
//     FiveWrongPasswordsLockUntilRecovery, RemovedDeviceStopsSigningWhileTheOtherStillCan: the
//     security properties of docs/SHIELD.md through the binary.
//   * ClientTmuxTest.TmuxPromptsAreChineseAndPasswordsAreNotEchoed: interactive prompts on a real
//     terminal (tmux send-keys / capture-pane), SQLite only.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/encoding.h"
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

namespace fs = std::filesystem;

TEST_P(ClientE2eTest, ClientEndToEnd) {
  const std::string phone = "13912350001";
  const std::string a = dev("a");
  const std::string pin = "Pin#2026";
  register_cli(a, phone);
  // Device files: private folder, private files.
  EXPECT_EQ(fs::status(a).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(a + "/session.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  // Not verified yet: the CLI shows what the server says, and the identity list works.
  auto ids = cli(a, {"--json", "identity", "list"});
  ASSERT_EQ(ids.exit_code, 0) << ids;
  EXPECT_EQ(ids.json()["items"].size(), 1u);
  verify_cli(a, phone, "张三", "11010519491231002X");
  std::string order = buy_cli(a, phone);
  Installed inst = install_cli(a, order, pin);
  ASSERT_FALSE(inst.key_id.empty());
  EXPECT_EQ(fs::status(a + "/keys/" + inst.key_id + ".json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_NE(openssl_verify(inst.pem).find(": OK"), std::string::npos) << openssl_verify(inst.pem);

  // --copy prints one value alone: the SHA-1 thumbprint as openssl computes it.
  auto sha1 = cli(a, {"cert", "show", inst.cert_id, "--copy", "sha1"});
  ASSERT_EQ(sha1.exit_code, 0) << sha1;
  std::string want = sh("openssl x509 -in " + f("leaf.pem") + " -noout -fingerprint -sha1");
  want = want.substr(want.find('=') + 1);
  want.erase(std::remove(want.begin(), want.end(), ':'), want.end());
  EXPECT_EQ(sha1.out, want);
  auto list = cli(a, {"--json", "cert", "list"});
  ASSERT_EQ(list.exit_code, 0) << list;
  EXPECT_TRUE(list.json()["items"][0]["on_this_device"].get<bool>()) << list;

  // Sign with the GM/T default ID: openssl pkeyutl (distid) and sm-crypto verify it.
  const std::string msg = "投标文件摘要 2026";
  put(f("msg.txt"), msg);
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  auto s1 = cli(a, {"--json", "cert", "sign", "--in", f("msg.txt"), "--out", f("sig.der")}, {pin});
  ASSERT_EQ(s1.exit_code, 0) << s1;
  EXPECT_EQ(base64_encode(as_bytes(read_all(f("sig.der")))), s1.json()["signature"]);
  EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -rawin -digest sm3 -in " + f("msg.txt") +
               " -sigfile " + f("sig.der") + " -pkeyopt distid:1234567812345678")
                .find("Signature Verified Successfully"),
            std::string::npos);
  std::string pub_hex = s1.json()["public_key"];
  EXPECT_EQ(sm_crypto("verify " + pub_hex + " " + hex_encode(as_bytes(msg)) + " " +
                      std::string(s1.json()["signature_hex"]) + " der"),
            "true");
  EXPECT_EQ(sm_crypto("verify " + pub_hex + " " + hex_encode(as_bytes("another message")) + " " +
                      std::string(s1.json()["signature_hex"]) + " der"),
            "false");
  // With the empty ID (what the OpenSSL 3.0 CLI uses by default) plain `openssl dgst` verifies it.
  auto s2 = cli(a, {"cert", "sign", "--message", msg, "--sm2-id", "", "--out", f("sig0.der")}, {pin});
  ASSERT_EQ(s2.exit_code, 0) << s2;
  EXPECT_NE(sh("openssl dgst -sm3 -verify " + f("pub.pem") + " -signature " + f("sig0.der") + " " + f("msg.txt"))
                .find("Verified OK"),
            std::string::npos);
  EXPECT_EQ(sh("openssl dgst -sm3 -verify " + f("pub.pem") + " -signature " + f("sig.der") + " " + f("msg.txt"))
                .find("Verified OK"),
            std::string::npos);  // the GM/T-ID signature does not pass as an empty-ID one

  // Two-party decryption of what OpenSSL and sm-crypto encrypted to the certificate.
  put(f("plain.txt"), "开标密钥 42");
  sh("openssl pkeyutl -encrypt -pubin -inkey " + f("pub.pem") + " -in " + f("plain.txt") + " -out " + f("ct.der"));
  auto dec = cli(a, {"cert", "decrypt", "--in", f("ct.der"), "--order", "der"}, {pin});
  ASSERT_EQ(dec.exit_code, 0) << dec;
  EXPECT_EQ(dec.out, "开标密钥 42");
  std::string theirs = sm_crypto("encrypt " + pub_hex + " " + hex_encode(as_bytes("sm-crypto plaintext")) + " 1");
  auto dec2 = cli(a, {"--json", "cert", "decrypt", "--hex", theirs}, {pin});
  ASSERT_EQ(dec2.exit_code, 0) << dec2;
  EXPECT_EQ(dec2.json()["plaintext_hex"], hex_encode(as_bytes("sm-crypto plaintext")));

  // The PIN cache: after one password entry the next signature needs none; stop wipes it.
  auto ag = cli(a, {"agent", "start", "--ttl", "5m"});
  ASSERT_EQ(ag.exit_code, 0) << ag;
  EXPECT_EQ(fs::status(a + "/agent.sock").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "x"}).exit_code, 2);  // no password given: input ended
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "x"}, {pin}).exit_code, 0);
  auto cached = cli(a, {"cert", "sign", "--message", "cached"});
  EXPECT_EQ(cached.exit_code, 0) << cached;
  // The agent signed and decrypted itself (security review L3): the signature verifies, and a
  // decryption needs no password either.
  auto cached_sig = cli(a, {"cert", "sign", "--in", f("msg.txt"), "--out", f("sig_cached.der")});
  ASSERT_EQ(cached_sig.exit_code, 0) << cached_sig;
  EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -rawin -digest sm3 -in " + f("msg.txt") +
               " -sigfile " + f("sig_cached.der") + " -pkeyopt distid:1234567812345678")
                .find("Signature Verified Successfully"),
            std::string::npos);
  auto cached_dec = cli(a, {"cert", "decrypt", "--in", f("ct.der"), "--order", "der"});
  ASSERT_EQ(cached_dec.exit_code, 0) << cached_dec;
  EXPECT_EQ(cached_dec.out, "开标密钥 42");
  // Another process of the same user asks the agent for the share: there is no such request.
  std::string asked = sh("python3 - " + a + "/agent.sock " + inst.key_id + " <<'PY'\n"
                         "import json, socket, struct, sys\n"
                         "for op in ('get', 'export', 'd1', 'auth_key'):\n"
                         "    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
                         "    m = json.dumps({'op': op, 'key_id': sys.argv[2]}).encode()\n"
                         "    s.sendall(struct.pack('>I', len(m)) + m)\n"
                         "    n = struct.unpack('>I', s.recv(4, socket.MSG_WAITALL))[0]\n"
                         "    print(s.recv(n, socket.MSG_WAITALL).decode())\n"
                         "PY\n");
  EXPECT_EQ(std::count(asked.begin(), asked.end(), '\n'), 4) << asked;
  EXPECT_NE(asked.find("unknown_op"), std::string::npos) << asked;
  EXPECT_EQ(asked.find("\"ok\":true"), std::string::npos) << asked;
  EXPECT_EQ(asked.find("\"d1\":"), std::string::npos) << asked;
  auto st = cli(a, {"--json", "agent", "status"});
  EXPECT_EQ(st.json()["entries"].size(), 1u) << st;
  EXPECT_EQ(cli(a, {"agent", "stop"}).exit_code, 0);
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "x"}).exit_code, 2);

  // Renew: bought as a renewal package for this certificate; same key, a new certificate that
  // verifies; signatures verify under it. Without the order the client refuses to ask.
  EXPECT_EQ(cli(a, {"cert", "renew", inst.cert_id}).exit_code, 2);
  auto rp = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                 {{"kind", "renewal"}, {"name", "延期 1年"}, {"cert_type", "personal"}, {"algorithm", "sm2"},
                  {"validity_years", 1}, {"price_fen", 5000}, {"ca_id", "sm2o"}, {"seal_type", "handwritten"}});
  ASSERT_EQ(rp.status, 201) << rp.body;
  auto ro = cli(a, {"--json", "order", "create", "--product", rp.json()["id"], "--certificate", inst.cert_id});
  ASSERT_EQ(ro.exit_code, 0) << ro;
  const std::string renewal_order = ro.json()["id"];
  ASSERT_EQ(cli(a, {"order", "authorise", renewal_order, "--code", code(a, phone, "authorise")}).exit_code, 0);
  ASSERT_EQ(cli(a, {"pay", "online", renewal_order, "--sandbox-complete"}).exit_code, 0);
  ASSERT_EQ(call("POST", "/api/v1/operator/orders/" + renewal_order + "/approval", operator_token_).status, 200);
  auto rn = cli(a, {"--json", "cert", "renew", inst.cert_id, "--order", renewal_order}, {});
  ASSERT_EQ(rn.exit_code, 0) << rn;
  std::string renewed = rn.json()["certificate"]["id"];
  ASSERT_NE(renewed, inst.cert_id);
  std::string renewed_pem = cert_pem(a, renewed);
  EXPECT_NE(openssl_verify(renewed_pem).find(": OK"), std::string::npos) << openssl_verify(renewed_pem);
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub2.pem"));
  auto s3 = cli(a, {"cert", "sign", "--cert", renewed, "--message", msg, "--sm2-id", "", "--out", f("sig3.der")}, {pin});
  ASSERT_EQ(s3.exit_code, 0) << s3;
  EXPECT_NE(sh("openssl dgst -sm3 -verify " + f("pub2.pem") + " -signature " + f("sig3.der") + " " + f("msg.txt"))
                .find("Verified OK"),
            std::string::npos);

  // Change: a new certificate, the renewed one revoked (the CRL says so).
  auto ch = cli(a, {"--json", "cert", "change", renewed});
  ASSERT_EQ(ch.exit_code, 0) << ch;
  std::string changed = ch.json()["certificate"]["id"];
  std::string changed_pem = cert_pem(a, changed);
  EXPECT_NE(openssl_verify(changed_pem, true).find(": OK"), std::string::npos) << openssl_verify(changed_pem, true);
  EXPECT_NE(openssl_verify(renewed_pem, true).find("certificate revoked"), std::string::npos);
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "after change"}, {pin}).exit_code, 0);

  // Revoke with an SMS code: the CRL lists it and the key signs no more.
  auto rv = cli(a, {"cert", "revoke", changed, "--reason", "cessation_of_operation", "--code",
                    code(a, phone, "authorise")});
  ASSERT_EQ(rv.exit_code, 0) << rv;
  EXPECT_NE(openssl_verify(changed_pem, true).find("certificate revoked"), std::string::npos);
  EXPECT_NE(openssl_verify(changed_pem, false).find(": OK"), std::string::npos);  // the check above needed the CRL
  auto after = cli(a, {"cert", "sign", "--message", "after revocation"}, {pin});
  EXPECT_EQ(after.exit_code, 3) << after;

  // Every step above is a record in the transparency log, and the user can check them all
  // (docs/LEDGER.md): login, install, signatures, decryption, renewal, change, revocation, and
  // the refused signature after the revocation.
  EXPECT_EQ(call("POST", "/api/v1/operator/ledger/checkpoints", operator_token_).status, 200);
  auto lv = cli(a, {"--json", "ledger", "verify", "--state", f("ledger-state.json")});
  ASSERT_EQ(lv.exit_code, 0) << lv;
  EXPECT_GE(lv.json()["records"].get<int>(), 8) << lv;
  std::string types;
  const nlohmann::json mine = call("GET", "/api/v1/account/ledger-entries?limit=1000",
                                  nlohmann::json::parse(read_all(a + "/session.json"))["token"]).json();
  bool digest_logged = false;  // a signature's entry names the SM3 digest signed
  for (const auto& e : mine["items"]) {
    auto entry = nlohmann::json::parse(e["entry"].get<std::string>());
    types += entry["type"].get<std::string>() + " ";
    if (entry["type"] == "shield.sign" && entry.value("document", "").size() == 64) digest_logged = true;
  }
  EXPECT_TRUE(digest_logged) << mine.dump();
  for (const char* t : {"account.login", "shield.install", "shield.sign", "shield.decrypt", "shield.renew",
                        "shield.change", "shield.revoke"}) {
    EXPECT_NE(types.find(std::string(t) + " "), std::string::npos) << t << " missing from: " << types;
  }

  // scan without a picture or a payload: a usage error (scenes: tests/integration/scene_test.cpp).
  auto scan = cli(a, {"scan"});
  EXPECT_EQ(scan.exit_code, 2) << scan;
  EXPECT_NE(scan.err.find("请给出二维码图片文件或 --payload 文本"), std::string::npos) << scan;
  auto help = cli(a, {"help", "cert", "sign"});
  EXPECT_EQ(help.exit_code, 0) << help;
  EXPECT_NE(help.out.find("--sm2-id"), std::string::npos) << help;
  EXPECT_EQ(cli(a, {"cert", "sign", "--bogus"}).exit_code, 2);
  auto jerr = cli(a, {"--json", "cert", "show", "no-such-certificate"});
  EXPECT_EQ(jerr.exit_code, 3) << jerr;
  EXPECT_EQ(jerr.json()["exit"], 3) << jerr;

  // Logout forgets the session.
  EXPECT_EQ(cli(a, {"logout"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(a + "/session.json"));
  EXPECT_EQ(cli(a, {"cert", "list"}).exit_code, 3);
}

TEST_P(ClientE2eTest, CopiedShareFileCannotSign) {
  const std::string phone = "13912350002";
  const std::string a = dev("a"), b = dev("b");
  Installed inst = person_with_certificate(a, phone, "李四", "110105194912310134", "Pin#copy");
  ASSERT_FALSE(inst.key_id.empty());
  ASSERT_EQ(cli(a, {"cert", "sign", "--message", "mine"}, {"Pin#copy"}).exit_code, 0);
  // Another device (its own random device id) with the same account and a copy of the share file.
  login_cli(b, phone);
  fs::create_directories(b + "/keys");
  fs::copy_file(a + "/keys/" + inst.key_id + ".json", b + "/keys/" + inst.key_id + ".json");
  auto stolen = cli(b, {"cert", "sign", "--message", "stolen"}, {"Pin#copy"});
  EXPECT_NE(stolen.exit_code, 0) << stolen;
  EXPECT_EQ(stolen.exit_code, 3) << stolen;
  auto d_a = nlohmann::json::parse(read_all(a + "/device.json"));
  auto d_b = nlohmann::json::parse(read_all(b + "/device.json"));
  EXPECT_NE(d_a["device_id"], d_b["device_id"]);
  // The attempts did not lock the owner's key.
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "still mine"}, {"Pin#copy"}).exit_code, 0);

  // The platform asks for a reissue (补发): the list shows it, the owner reissues with an SMS code;
  // a new key replaces the old one on this device and its certificate verifies.
  ASSERT_EQ(call("POST", "/api/v1/operator/certificates/" + inst.cert_id + "/reissue-notices", operator_token_,
                 {{"reason", "CA 密钥更新"}})
                .status,
            200);
  auto listed = cli(a, {"cert", "list"});
  EXPECT_NE(listed.out.find("[reissue]"), std::string::npos) << listed;
  // Reissue needs new ID card photos (a fresh identity check) and the login password too.
  put(f("front.png"), kPng);
  put(f("back.png"), kPng);
  auto re = cli(a, {"--json", "cert", "reissue", inst.cert_id, "--front", f("front.png"), "--back", f("back.png"),
                    "--code", scoped_code(a, phone, "certificate_reissue", inst.cert_id)},
                {kLoginPw, "Pin#new9", "Pin#new9"});
  ASSERT_EQ(re.exit_code, 0) << re;
  std::string new_key = re.json()["key_id"];
  EXPECT_NE(new_key, inst.key_id);
  EXPECT_FALSE(fs::exists(a + "/keys/" + inst.key_id + ".json"));
  EXPECT_NE(openssl_verify(re.json()["certificate"]["certificate_pem"], true).find(": OK"), std::string::npos);
  EXPECT_NE(openssl_verify(inst.pem, true).find("certificate revoked"), std::string::npos);
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "reissued"}, {"Pin#new9"}).exit_code, 0);
}

TEST_P(ClientE2eTest, FiveWrongPasswordsLockUntilRecovery) {
  const std::string phone = "13912350003";
  const std::string a = dev("a");
  const std::string id_number = "11010519491231002X";
  Installed inst = person_with_certificate(a, phone, "王五", id_number, "Pin#good");
  ASSERT_FALSE(inst.key_id.empty());
  for (int i = 1; i <= 5; ++i) {
    auto r = cli(a, {"cert", "sign", "--message", "guess"}, {"Wrong#" + std::to_string(i)});
    EXPECT_EQ(r.exit_code, 4) << r;
    if (i < 5) {
      EXPECT_NE(r.err.find("证书密码错误，还可尝试 " + std::to_string(5 - i) + " 次"), std::string::npos) << r;
    } else {
      EXPECT_NE(r.err.find("certseal pin recover"), std::string::npos) << r;
    }
  }
  // The right password no longer helps.
  auto locked = cli(a, {"cert", "sign", "--message", "right"}, {"Pin#good"});
  EXPECT_EQ(locked.exit_code, 4) << locked;
  EXPECT_NE(locked.err.find("certseal pin recover"), std::string::npos) << locked;
  // Recovery needs the SMS code, the login password and a face image for a fresh identity check;
  // the ID number is no factor any more.
  put(f("face.png"), kPng);
  auto old_recipe = cli(a, {"pin", "recover", "--code", code(a, phone, "authorise"), "--id-number", id_number},
                        {"Pin#new1", "Pin#new1"});
  EXPECT_NE(old_recipe.exit_code, 0) << old_recipe;
  auto no_face = cli(a, {"pin", "recover", "--code", code(a, phone, "authorise")}, {kLoginPw, "Pin#new1", "Pin#new1"});
  EXPECT_EQ(no_face.exit_code, 2) << no_face;
  auto wrong_pw = cli(a, {"pin", "recover", "--code", code(a, phone, "authorise"), "--face", f("face.png")},
                      {"Wrong!pw9", "Pin#new1", "Pin#new1"});
  EXPECT_EQ(wrong_pw.exit_code, 3) << wrong_pw;
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "still locked"}, {"Pin#new1"}).exit_code, 4);
  auto rec = cli(a, {"pin", "recover", "--code", code(a, phone, "authorise"), "--face", f("face.png")},
                 {kLoginPw, "Pin#new1", "Pin#new1"});
  ASSERT_EQ(rec.exit_code, 0) << rec;
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "old pin"}, {"Pin#good"}).exit_code, 4);
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "new pin"}, {"Pin#new1"}).exit_code, 0);
  // Changing the password: the old one stops working, the new one works.
  auto chg = cli(a, {"pin", "change"}, {"Pin#new1", "Pin#new2", "Pin#new2"});
  ASSERT_EQ(chg.exit_code, 0) << chg;
  // The owner's phone is told (review L8): the newest SMS to it says so.
  auto sms = call("GET", "/api/v1/operator/sms-outbox?limit=1&phone=" + phone, operator_token_).json();
  EXPECT_NE(std::string(sms["items"][0]["text"]).find("证书密码已修改"), std::string::npos) << sms;
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "x"}, {"Pin#new1"}).exit_code, 4);
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "x"}, {"Pin#new2"}).exit_code, 0);
}

TEST_P(ClientE2eTest, RemovedDeviceStopsSigningWhileTheOtherStillCan) {
  const std::string phone = "13912350004";
  const std::string a = dev("a"), c = dev("c");
  Installed inst = person_with_certificate(a, phone, "赵六", "110105194912310134", "Pin#aaaa");
  ASSERT_FALSE(inst.key_id.empty());
  login_cli(c, phone);
  auto start = cli(c, {"--json", "device", "pair", "--no-wait"});
  ASSERT_EQ(start.exit_code, 0) << start;
  std::string pairing = start.json()["id"];
  std::string pairing_code = start.json()["code"];
  EXPECT_EQ(pairing_code.size(), 29u) << pairing_code;
  // Finishing before the other device sent the share is refused, and changes nothing.
  EXPECT_EQ(cli(c, {"device", "pair", "--finish", pairing}, {"Pin#cccc", "Pin#cccc"}).exit_code, 3);
  // A code that is not the new device's: the old device refuses and sends nothing.
  std::string wrong_code = pairing_code;
  wrong_code[0] = wrong_code[0] == 'A' ? 'B' : 'A';
  auto mismatch = cli(a, {"device", "add", pairing, "--code", wrong_code}, {"Pin#aaaa"});
  EXPECT_EQ(mismatch.exit_code, 3) << mismatch;
  EXPECT_NE(mismatch.err.find("配对码"), std::string::npos) << mismatch;
  EXPECT_EQ(cli(c, {"device", "pair", "--finish", pairing}, {"Pin#cccc", "Pin#cccc"}).exit_code, 3);
  auto add = cli(a, {"--json", "device", "add", pairing, "--code", pairing_code}, {"Pin#aaaa"});
  ASSERT_EQ(add.exit_code, 0) << add;
  EXPECT_EQ(add.json()["device_id"], nlohmann::json::parse(read_all(c + "/device.json"))["device_id"]);
  auto fin = cli(c, {"--json", "device", "pair", "--finish", pairing}, {"Pin#cccc", "Pin#cccc"});
  ASSERT_EQ(fin.exit_code, 0) << fin;
  EXPECT_EQ(fin.json()["key_id"], inst.key_id);
  EXPECT_EQ(cli(c, {"cert", "sign", "--message", "from c"}, {"Pin#cccc"}).exit_code, 0);
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "from a"}, {"Pin#aaaa"}).exit_code, 0);
  auto devs = cli(a, {"--json", "device", "list"});
  ASSERT_EQ(devs.exit_code, 0) << devs;
  std::string c_id = nlohmann::json::parse(read_all(c + "/device.json"))["device_id"];
  int active = 0;
  const nlohmann::json items = devs.json()["items"];
  for (const auto& d : items) active += d["status"] == "active" ? 1 : 0;
  EXPECT_EQ(active, 2) << devs;

  auto rm = cli(a, {"device", "remove", c_id, "--code", code(a, phone, "authorise")});
  ASSERT_EQ(rm.exit_code, 0) << rm;
  auto c_sign = cli(c, {"cert", "sign", "--message", "removed"}, {"Pin#cccc"});
  EXPECT_EQ(c_sign.exit_code, 3) << c_sign;
  EXPECT_EQ(cli(a, {"cert", "sign", "--message", "still here"}, {"Pin#aaaa"}).exit_code, 0);
  // The last active device cannot be removed.
  std::string a_id = nlohmann::json::parse(read_all(a + "/device.json"))["device_id"];
  EXPECT_EQ(cli(a, {"device", "remove", a_id, "--code", code(a, phone, "authorise")}).exit_code, 3);
}

// ---- tmux: real terminal prompts ----

class Tmux {
 public:
  explicit Tmux(std::string socket) : socket_(std::move(socket)) {}
  ~Tmux() { run("kill-server"); }
  std::string run(const std::string& args) { return run_command("tmux -u -L " + socket_ + " " + args + " 2>&1"); }
  std::string pane() { return run("capture-pane -p -J -t s"); }
  // Waits until the pane shows `text` (up to 60 s); returns the pane.
  std::string wait_for(const std::string& text) {
    std::string p;
    for (int i = 0; i < 600; ++i) {
      p = pane();
      if (p.find(text) != std::string::npos) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return p;
  }
  void type(const std::string& text) { run("send-keys -t s -l '" + text + "'"); run("send-keys -t s Enter"); }

 private:
  std::string socket_;
};

// Terminal behaviour does not depend on the database engine: SQLite only.
class ClientTmuxTest : public ClientE2eTest {};

TEST_P(ClientTmuxTest, TmuxPromptsAreChineseAndPasswordsAreNotEchoed) {
  if (run_command("command -v tmux").empty()) FAIL() << "tmux is not installed: run scripts/setup";
  const std::string phone = "13912350005";
  const std::string a = dev("a");
  Installed inst = person_with_certificate(a, phone, "孙七", "110105194912310134", "Pin#tmux");
  ASSERT_FALSE(inst.key_id.empty());
  const std::string t = dev("t");  // a fresh device, logging in interactively
  Tmux tmux("certseal-test-" + std::to_string(::getpid()));
  const std::string base = "env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 " + std::string(CERTSEAL_BIN) + " --server " +
                           server_->base_url() + " --data-dir " + t;
  ASSERT_EQ(tmux.run("new-session -d -s s -x 160 -y 40 'sh'"), "");
  tmux.run("set-option -t s remain-on-exit on");
  tmux.type(base + " login --phone " + phone);
  std::string p = tmux.wait_for("短信验证码");
  ASSERT_NE(p.find("验证码已发送至 " + phone), std::string::npos) << p;
  tmux.type(code_for(phone));
  p = tmux.wait_for("登录密码");
  tmux.type(kLoginPw);
  p = tmux.wait_for("登录成功");
  EXPECT_NE(p.find("登录成功"), std::string::npos) << p;
  EXPECT_EQ(p.find(kLoginPw), std::string::npos) << p;  // the password was not echoed

  // Signing on the first device, interactively: the certificate password prompt in Chinese, no echo.
  const std::string base_a = "env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 " + std::string(CERTSEAL_BIN) + " --server " +
                             server_->base_url() + " --data-dir " + a;
  tmux.run("send-keys -t s clear Enter");
  tmux.type(base_a + " cert sign --message tmux-message --format hex; echo \"ex\"\"it=$?\"");
  p = tmux.wait_for("请输入证书密码");
  ASSERT_NE(p.find("请输入证书密码"), std::string::npos) << p;
  tmux.type("Pin#tmux");
  p = tmux.wait_for("exit=");
  EXPECT_NE(p.find("exit=0"), std::string::npos) << p;
  EXPECT_EQ(p.find("Pin#tmux"), std::string::npos) << p;
  EXPECT_NE(p.find("30"), std::string::npos) << p;  // a DER signature in hex starts with 30

  // English on request.
  tmux.run("send-keys -t s clear Enter");
  tmux.type(base_a + " --lang en cert sign --message x; echo \"ex\"\"it=$?\"");
  p = tmux.wait_for("Certificate password");
  EXPECT_NE(p.find("Certificate password: "), std::string::npos) << p;
  tmux.type("Wrong#pw");
  p = tmux.wait_for("exit=");
  EXPECT_NE(p.find("wrong certificate password; 4 tries left"), std::string::npos) << p;
  EXPECT_NE(p.find("exit=4"), std::string::npos) << p;
  EXPECT_EQ(p.find("Wrong#pw"), std::string::npos) << p;
}

CERTSEAL_INSTANTIATE_API_ENGINES(ClientE2eTest);
INSTANTIATE_TEST_SUITE_P(Engines, ClientTmuxTest, ::testing::Values("sqlite"), [](const auto& p) { return p.param; });

}  // namespace
}  // namespace certseal::testing

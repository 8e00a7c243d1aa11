// Cloud key (云密钥, docs/CLOUDKEY.md) end to end, on both engines, through the real `certseal`
// client against a real certseald: an operator creates a tenant and names its admin; a staff
// member finds it, reads its QR payload, applies; the admin approves; the staff member downloads
// the certificate (a two-party SM2 key of the mobile shield) from the QR payload and signs, and
// `openssl` checks the certificate chain and the signature. Devices: a secondary device joins
// through the shield's pairing, waits for activation, needs password + SMS code, is frozen (its
// signature refused at once) and activated; the usage log shows successes and refusals with their
// reasons, from the main device only; the main device is removed with an SMS code.
// The authorisation matrix is written from the refused side: another tenant's admin, another
// staff member and a frozen device are each refused and nothing changes.
#include <chrono>
#include <regex>
#include <thread>

#include "pki/cms_signed.h"
#include "service/scene/rp_apps.h"
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

class CloudKeyE2eTest : public ClientE2eTest {
 public:
  // Each SMS unlock is a code: more than the default ten a day per phone.
  std::vector<std::string> extra_server_args() const override {
    auto args = ClientE2eTest::extra_server_args();
    args.insert(args.end(), {"--set", "sms.daily_limit=100", "--set", "cloudkey.captcha_ttl_s=20", "--set",
                             "cloudkey.captcha_per_hour=6"});
    return args;
  }

 protected:
  const std::string admin_phone_ = "13912380001", staff_phone_ = "13912380002", other_phone_ = "13912380003";
  const std::string pin_ = "Pin#staff1";
  std::string admin_dev_, staff_dev_, tenant_, payload_;

  std::string create_tenant(const std::string& name, bool secondary) {
    auto t = call("POST", "/api/v1/operator/cloudkey/tenants", operator_token_,
                  {{"name", name}, {"ca_id", "sm2o"}, {"secondary_devices", secondary}, {"validity_days", 365}});
    EXPECT_EQ(t.status, 201) << t.body;
    return t.json().value("id", "");
  }
  void add_admin(const std::string& tenant, const std::string& phone) {
    auto a = call("POST", "/api/v1/operator/cloudkey/tenants/" + tenant + "/admins", operator_token_, {{"phone", phone}});
    ASSERT_EQ(a.status, 201) << a.body;
  }
  // The tenant with its admin (CLI device), and the staff member's registered device.
  void SetUpTenant() {
    tenant_ = create_tenant("示例市第一人民医院", true);
    ASSERT_FALSE(tenant_.empty());
    admin_dev_ = dev("ck-admin");
    staff_dev_ = dev("ck-staff");
    register_cli(admin_dev_, admin_phone_);
    add_admin(tenant_, admin_phone_);
    register_cli(staff_dev_, staff_phone_);
    auto qr = cli(admin_dev_, {"--json", "cloudkey", "qr", tenant_});
    ASSERT_EQ(qr.exit_code, 0) << qr;
    payload_ = qr.json()["payload"];
  }
  // Apply (自助录入) and approval (后台审核): the staff record's id.
  std::string apply_and_approve(const std::string& d, const std::string& staff_no, const std::string& name,
                                const std::string& id_number) {
    auto ap = cli(d, {"--json", "cloudkey", "apply", "--qr", payload_, "--staff-no", staff_no, "--name", name,
                      "--id-number", id_number});
    EXPECT_EQ(ap.exit_code, 0) << ap;
    EXPECT_EQ(ap.json()["status"], "pending") << ap;
    const std::string id = ap.json().value("id", "");
    auto ok = cli(admin_dev_, {"--json", "cloudkey", "staff", "approve", tenant_, id});
    EXPECT_EQ(ok.exit_code, 0) << ok;
    EXPECT_EQ(ok.json()["status"], "active") << ok;
    return id;
  }
  struct Downloaded {
    std::string key_id, cert_id, device_id, pem;
  };
  Downloaded setup(const std::string& d, const std::string& staff_no) {
    auto r = cli(d, {"--json", "cloudkey", "setup", "--qr", payload_, "--staff-no", staff_no}, {pin_, pin_});
    EXPECT_EQ(r.exit_code, 0) << r;
    auto j = r.json();
    return {j.value("key_id", ""), j.value("certificate_id", ""), j.value("device_id", ""),
            j["certificate"].value("certificate_pem", "")};
  }
  CliResult sign(const std::string& d, const std::string& cert, const std::string& out) {
    return cli(d, {"--json", "cert", "sign", "--cert", cert, "--in", f("msg.txt"), "--sm2-id", "", "--out", f(out)},
               {pin_});
  }
  CliResult unlock(const std::string& d, const std::string& phone) {
    return cli(d, {"--json", "cloudkey", "devices", "unlock", "--code", code(d, phone, "authorise")});
  }
  bool verified(const std::string& sig) {
    return sh("openssl dgst -sm3 -verify " + f("pub.pem") + " -signature " + f(sig) + " " + f("msg.txt"))
               .find("Verified OK") != std::string::npos;
  }
  // A secondary device of the staff member joins the key through the shield's pairing.
  std::string pair_secondary(const std::string& second, const std::string& cert) {
    login_cli(second, staff_phone_);
    auto start = cli(second, {"--json", "device", "pair", "--no-wait"});
    EXPECT_EQ(start.exit_code, 0) << start;
    const std::string pairing = start.json().value("id", ""), pcode = start.json().value("code", "");
    auto add = cli(staff_dev_, {"--json", "device", "add", pairing, "--code", pcode, "--cert", cert}, {pin_});
    EXPECT_EQ(add.exit_code, 0) << add;
    auto fin = cli(second, {"--json", "device", "pair", "--finish", pairing}, {pin_, pin_});
    EXPECT_EQ(fin.exit_code, 0) << fin;
    auto list = cli(staff_dev_, {"--json", "cloudkey", "devices", "list", "--status", "pending"});
    EXPECT_EQ(list.exit_code, 0) << list;
    EXPECT_EQ(list.json()["items"].size(), 1u) << list;
    return list.json()["items"][0].value("device_id", "");
  }
  nlohmann::json devices(const std::string& d) {
    auto list = cli(d, {"--json", "cloudkey", "devices", "list"});
    EXPECT_EQ(list.exit_code, 0) << list;
    return list.json()["items"];
  }
  // The newest SMS sent to `phone`, read on the server machine.
  std::string last_sms(const std::string& phone) {
    auto args = db_args_;
    args.insert(args.begin(), {"admin", "sms-outbox", "--phone", phone, "--limit", "1"});
    const std::string log = dir_.path() + "/sms.log";
    std::remove(log.c_str());
    EXPECT_EQ(run_certseald(args, log), 0) << slurp(log);
    return slurp(log);
  }
  // The delegate's device joins the holder's key through the shield's pairing for a grant.
  void pair_delegate(const std::string& d, const std::string& delegation, const std::string& cert,
                     const std::string& pin) {
    auto start = cli(d, {"--json", "grant", "pair", delegation, "--no-wait"});
    ASSERT_EQ(start.exit_code, 0) << start;
    const std::string pairing = start.json()["id"], pcode = start.json()["code"];
    auto add = cli(staff_dev_, {"--json", "device", "add", pairing, "--code", pcode, "--cert", cert}, {pin_});
    ASSERT_EQ(add.exit_code, 0) << add;
    auto fin = cli(d, {"--json", "device", "pair", "--finish", pairing}, {pin, pin});
    ASSERT_EQ(fin.exit_code, 0) << fin;
    EXPECT_EQ(fin.json()["certificate_id"], cert) << fin;
  }
  std::string session_token(const std::string& d) {
    return nlohmann::json::parse(read_all(d + "/session.json"))["token"];
  }
  // The ledger entries of the account of device d's session: "type result" → count.
  std::map<std::string, int> ledger_types(const std::string& d) {
    EXPECT_EQ(call("POST", "/api/v1/operator/ledger/checkpoints", operator_token_).status, 200);
    const nlohmann::json entries =
        call("GET", "/api/v1/account/ledger-entries?limit=1000", session_token(d)).json()["items"];
    std::map<std::string, int> types;
    for (const auto& e : entries) {
      auto entry = nlohmann::json::parse(e["entry"].get<std::string>());
      ++types[entry["type"].get<std::string>() + " " + entry.value("result", "")];
    }
    return types;
  }
  // A handwritten signature as a drawing canvas exports it (black strokes on a transparent
  // background, RGBA PNG), written by Python's zlib, not by our code.
  void signature_png(const std::string& path, int phase) {
    put(f("sigpng.py"), R"py(import math, struct, sys, zlib
w, h, phase = 420, 160, float(sys.argv[2])
px = [[(0, 0, 0, 0)] * w for _ in range(h)]
for x in range(40, 380):
    y = int(80 + 45 * math.sin((x + phase) / 30.0))
    for dy in range(-4, 5):
        for dx in range(-2, 3):
            if 0 <= y + dy < h:
                px[y + dy][x + dx] = (0, 0, 0, 255)
raw = b"".join(b"\0" + bytes(c for p in row for c in p) for row in px)
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) + \
    chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
)py");
    sh("python3 " + f("sigpng.py") + " " + path + " " + std::to_string(phase));
  }
  // A staff member entered by the admin, registered, with the certificate on device d.
  Downloaded entered_staff(const std::string& d, const std::string& phone, const std::string& staff_no) {
    register_cli(d, phone);
    auto add = cli(admin_dev_, {"--json", "cloudkey", "staff", "add", tenant_, "--staff-no", staff_no, "--name",
                                "孙医生", "--phone", phone, "--id-number", "440524198001010013"});
    EXPECT_EQ(add.exit_code, 0) << add;
    return setup(d, staff_no);
  }
  // One value from the server's database, read with the engine's own command-line client.
  std::string sql_one(const std::string& query) {
    std::string out = GetParam() == "postgres" ? sh("psql '" + pg_->url() + "' -At -c \"" + query + "\"")
                                               : sh("sqlite3 " + data_ + "/certseal.db \"" + query + "\"");
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
  // Plays the person who reads the picture: the server keeps only SHA-256(id ":" answer), and
  // five digits are 100 000 tries (Python's hashlib, not our code).
  std::string solve_captcha(const std::string& id) {
    const std::string hash = sql_one("SELECT answer_hash FROM cloudkey_captchas WHERE id = '" + id + "'");
    EXPECT_EQ(hash.size(), 64u) << hash;
    put(f("solve.py"), "import hashlib, sys\nfor i in range(100000):\n    a = '%05d' % i\n"
                       "    if hashlib.sha256((sys.argv[1] + ':' + a).encode()).hexdigest() == sys.argv[2]:\n"
                       "        print(a)\n        break\n");
    std::string a = sh("python3 " + f("solve.py") + " " + id + " " + hash);
    while (!a.empty() && a.back() == '\n') a.pop_back();
    EXPECT_EQ(a.size(), 5u) << a;
    return a;
  }
  // How many SMS codes the outbox holds for `phone`.
  int codes_sent(const std::string& phone) {
    auto args = db_args_;
    args.insert(args.begin(), {"admin", "sms-outbox", "--phone", phone, "--limit", "1000"});
    const std::string log = dir_.path() + "/count.log";
    std::remove(log.c_str());
    EXPECT_EQ(run_certseald(args, log), 0) << slurp(log);
    const std::string text = slurp(log);
    int n = 0;
    for (std::size_t at = text.find("验证码"); at != std::string::npos; at = text.find("验证码", at + 1)) ++n;
    return n;
  }
  std::string new_captcha(const std::string& d, const std::string& out) {
    auto c = cli(d, {"--json", "cloudkey", "password", "captcha", "--out", f(out)});
    EXPECT_EQ(c.exit_code, 0) << c;
    return c.json().value("id", "");
  }
  std::string status_of(const nlohmann::json& items, const std::string& device) {
    for (const auto& i : items) {
      if (i["device_id"] == device) return i["status"];
    }
    return "";
  }
};

TEST_P(CloudKeyE2eTest, QrSetUpApprovalDownloadSignSecondaryDeviceFreezeAndMainRemoval) {
  SetUpTenant();
  // The staff member finds the tenant by part of its name.
  auto found = cli(staff_dev_, {"--json", "cloudkey", "tenants", "--q", "人民医院"});
  ASSERT_EQ(found.exit_code, 0) << found;
  ASSERT_EQ(found.json()["items"].size(), 1u) << found;
  EXPECT_EQ(found.json()["items"][0]["id"], tenant_);
  const nlohmann::json qr = nlohmann::json::parse(payload_);
  EXPECT_EQ(qr["tenant"], tenant_);
  EXPECT_EQ(qr["server"], server_->base_url());

  // Before approval nothing can be downloaded.
  auto ap = cli(staff_dev_, {"--json", "cloudkey", "apply", "--qr", payload_, "--staff-no", "D1001", "--name", "张医生",
                             "--id-number", "11010519491231002X"});
  ASSERT_EQ(ap.exit_code, 0) << ap;
  auto early = cli(staff_dev_, {"cloudkey", "setup", "--qr", payload_, "--staff-no", "D1001"}, {pin_, pin_});
  EXPECT_EQ(early.exit_code, 3) << early;
  auto pending = cli(admin_dev_, {"--json", "cloudkey", "staff", "list", tenant_, "--status", "pending"});
  ASSERT_EQ(pending.exit_code, 0) << pending;
  ASSERT_EQ(pending.json()["items"].size(), 1u) << pending;
  EXPECT_EQ(pending.json()["items"][0]["phone"], staff_phone_);
  auto ok = cli(admin_dev_, {"--json", "cloudkey", "staff", "approve", tenant_, ap.json()["id"]});
  ASSERT_EQ(ok.exit_code, 0) << ok;

  // Download from the QR payload: the certificate chains to the CA and its key signs.
  Downloaded main = setup(staff_dev_, "D1001");
  ASSERT_FALSE(main.cert_id.empty());
  EXPECT_NE(openssl_verify(main.pem).find(": OK"), std::string::npos) << openssl_verify(main.pem);
  const std::string subject = sh("openssl x509 -in " + f("leaf.pem") + " -noout -subject -nameopt utf8");
  EXPECT_NE(subject.find("张医生"), std::string::npos) << subject;
  EXPECT_NE(subject.find("D1001"), std::string::npos) << subject;
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  put(f("msg.txt"), "门诊处方 2026-0001");
  auto s1 = sign(staff_dev_, main.cert_id, "sig1.der");
  ASSERT_EQ(s1.exit_code, 0) << s1;
  EXPECT_TRUE(verified("sig1.der"));
  auto mine = cli(staff_dev_, {"--json", "cloudkey", "certificates"});
  ASSERT_EQ(mine.exit_code, 0) << mine;
  EXPECT_EQ(mine.json()["items"][0]["staff_no"], "D1001") << mine;

  // A secondary device: awaiting activation, then password + SMS code, frozen, activated.
  const std::string second = dev("ck-staff-2");
  const std::string sec = pair_secondary(second, main.cert_id);
  ASSERT_FALSE(sec.empty());
  auto waiting = sign(second, main.cert_id, "sig2.der");
  EXPECT_EQ(waiting.exit_code, 3) << waiting;
  EXPECT_NE(waiting.err.find("activation"), std::string::npos) << waiting;
  auto act = cli(staff_dev_, {"--json", "cloudkey", "devices", "activate", sec});
  ASSERT_EQ(act.exit_code, 0) << act;
  EXPECT_EQ(act.json()["status"], "active");
  auto pw_only = sign(second, main.cert_id, "sig2.der");
  EXPECT_EQ(pw_only.exit_code, 3) << pw_only;
  EXPECT_NE(pw_only.err.find("SMS"), std::string::npos) << pw_only;
  ASSERT_EQ(unlock(second, staff_phone_).exit_code, 0);
  auto s2 = sign(second, main.cert_id, "sig2.der");
  ASSERT_EQ(s2.exit_code, 0) << s2;
  EXPECT_TRUE(verified("sig2.der"));
  // One unlock is one step.
  auto again = sign(second, main.cert_id, "sig3.der");
  EXPECT_EQ(again.exit_code, 3) << again;

  auto fr = cli(staff_dev_, {"--json", "cloudkey", "devices", "freeze", sec});
  ASSERT_EQ(fr.exit_code, 0) << fr;
  EXPECT_EQ(status_of(devices(staff_dev_), sec), "frozen");
  auto frozen_list = cli(staff_dev_, {"--json", "cloudkey", "devices", "list", "--status", "frozen"});
  EXPECT_EQ(frozen_list.json()["items"].size(), 1u) << frozen_list;
  ASSERT_EQ(unlock(second, staff_phone_).exit_code, 0);
  auto frozen = sign(second, main.cert_id, "sig3.der");
  EXPECT_EQ(frozen.exit_code, 3) << frozen;
  EXPECT_NE(frozen.err.find("frozen"), std::string::npos) << frozen;
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "devices", "activate", sec}).exit_code, 0);
  ASSERT_EQ(unlock(second, staff_phone_).exit_code, 0);
  auto s3 = sign(second, main.cert_id, "sig3.der");
  ASSERT_EQ(s3.exit_code, 0) << s3;
  EXPECT_TRUE(verified("sig3.der"));

  // The usage log (main device only): successes and each refusal with its reason.
  auto log = cli(staff_dev_, {"--json", "cloudkey", "log", "--from", "2000-01-01"});
  ASSERT_EQ(log.exit_code, 0) << log;
  std::map<std::string, int> results;
  const nlohmann::json log_items = log.json()["items"];
  for (const auto& e : log_items) {
    if (e["operation"] == "sign") ++results[e["result"].get<std::string>()];
  }
  EXPECT_EQ(results["ok"], 3) << log;
  EXPECT_EQ(results["device_frozen"], 1) << log;
  EXPECT_EQ(results["device_not_activated"], 1) << log;
  EXPECT_EQ(results["sms_code_required"], 2) << log;
  auto none = cli(staff_dev_, {"--json", "cloudkey", "log", "--from", "2000-01-01", "--to", "2000-01-02"});
  ASSERT_EQ(none.exit_code, 0) << none;
  EXPECT_TRUE(none.json()["items"].empty()) << none;
  auto from_second = cli(second, {"cloudkey", "log"});
  EXPECT_EQ(from_second.exit_code, 3) << from_second;
  EXPECT_NE(from_second.err.find("main device"), std::string::npos) << from_second;

  // The main device is removed with an SMS code: its share refuses from then on.
  auto bad_code = cli(second, {"cloudkey", "devices", "remove", main.device_id, "--code", "000000"});
  EXPECT_EQ(bad_code.exit_code, 3) << bad_code;
  EXPECT_EQ(status_of(devices(second), main.device_id), "active");
  auto rm = cli(second, {"--json", "cloudkey", "devices", "remove", main.device_id, "--code",
                         code(second, staff_phone_, "authorise")});
  ASSERT_EQ(rm.exit_code, 0) << rm;
  EXPECT_EQ(status_of(devices(second), main.device_id), "removed");
  auto gone = sign(staff_dev_, main.cert_id, "sig4.der");
  EXPECT_EQ(gone.exit_code, 3) << gone;
  ASSERT_EQ(unlock(second, staff_phone_).exit_code, 0);
  EXPECT_EQ(sign(second, main.cert_id, "sig4.der").exit_code, 0);
  EXPECT_TRUE(verified("sig4.der"));
}

TEST_P(CloudKeyE2eTest, StaffRecordsEnteredImportedAndSettings) {
  SetUpTenant();
  put(f("staff.csv"),
      "staff_no,name,phone,id_number\nN2001,李护士,13912380011,440524198001010013\nN2002,王护士,13912380012,"
      "11010519491231002X\n");
  auto imp = cli(admin_dev_, {"--json", "cloudkey", "staff", "import", tenant_, "--csv", f("staff.csv")});
  ASSERT_EQ(imp.exit_code, 0) << imp;
  EXPECT_EQ(imp.json()["added"], 2);
  // A bad file changes nothing: one taken number and one bad phone refuse all lines.
  put(f("bad.csv"), "N2003,赵护士,13912380013,440524198001010013\nN2001,重复,13912380014,440524198001010013\n"
                    "N2004,钱护士,12345,440524198001010013\n");
  auto bad = cli(admin_dev_, {"cloudkey", "staff", "import", tenant_, "--csv", f("bad.csv")});
  EXPECT_EQ(bad.exit_code, 3) << bad;
  auto add = cli(admin_dev_, {"--json", "cloudkey", "staff", "add", tenant_, "--staff-no", "N2005", "--name", "孙医生",
                              "--phone", other_phone_, "--id-number", "440524198001010013"});
  ASSERT_EQ(add.exit_code, 0) << add;
  auto all = cli(admin_dev_, {"--json", "cloudkey", "staff", "list", tenant_});
  ASSERT_EQ(all.exit_code, 0) << all;
  EXPECT_EQ(all.json()["items"].size(), 3u) << all;
  // An entered record is downloaded by the account of its phone without applying.
  const std::string other_dev = dev("ck-other");
  register_cli(other_dev, other_phone_);
  auto d = cli(other_dev, {"--json", "cloudkey", "setup", "--tenant", tenant_, "--staff-no", "N2005"}, {pin_, pin_});
  ASSERT_EQ(d.exit_code, 0) << d;
  // Settings: with secondary devices off, a secondary device that joined is refused at every
  // step and cannot be activated.
  auto st = cli(admin_dev_, {"--json", "cloudkey", "settings", tenant_, "--secondary-devices", "off"});
  ASSERT_EQ(st.exit_code, 0) << st;
  EXPECT_EQ(st.json()["secondary_devices"], false);
  const std::string cert = d.json()["certificate_id"];
  const std::string second = dev("ck-other-2");
  login_cli(second, other_phone_);
  auto start = cli(second, {"--json", "device", "pair", "--no-wait"});
  ASSERT_EQ(start.exit_code, 0) << start;
  auto added = cli(other_dev, {"device", "add", start.json()["id"], "--code", start.json()["code"], "--cert", cert},
                   {pin_});
  ASSERT_EQ(added.exit_code, 0) << added;
  auto fin = cli(second, {"--json", "device", "pair", "--finish", start.json()["id"]}, {pin_, pin_});
  ASSERT_EQ(fin.exit_code, 0) << fin;
  auto pending = cli(other_dev, {"--json", "cloudkey", "devices", "list", "--status", "pending"});
  ASSERT_EQ(pending.json()["items"].size(), 1u) << pending;
  auto act = cli(other_dev, {"cloudkey", "devices", "activate", pending.json()["items"][0]["device_id"]});
  EXPECT_EQ(act.exit_code, 3) << act;
  EXPECT_NE(act.err.find("secondary devices"), std::string::npos) << act;
  // password_sms: the main device too needs an SMS unlock for each step.
  ASSERT_EQ(cli(admin_dev_, {"cloudkey", "settings", tenant_, "--auth-mode", "password_sms"}).exit_code, 0);
  put(f("msg.txt"), "x");
  EXPECT_EQ(sign(other_dev, cert, "s.der").exit_code, 3);
  ASSERT_EQ(unlock(other_dev, other_phone_).exit_code, 0);
  EXPECT_EQ(sign(other_dev, cert, "s.der").exit_code, 0);
}

// The refused side: each attempt fails and nothing it aimed at changes.
TEST_P(CloudKeyE2eTest, AuthorisationMatrixRefusesOtherTenantsAdminOtherStaffAndFrozenDevice) {
  SetUpTenant();
  const std::string other_tenant = create_tenant("示例市第二人民医院", true);
  const std::string intruder_dev = dev("ck-intruder"), intruder_phone = "13912380021";
  register_cli(intruder_dev, intruder_phone);
  add_admin(other_tenant, intruder_phone);
  // A pending application of tenant A.
  auto ap = cli(staff_dev_, {"--json", "cloudkey", "apply", "--qr", payload_, "--staff-no", "D1001", "--name",
                             "张医生", "--id-number", "11010519491231002X"});
  ASSERT_EQ(ap.exit_code, 0) << ap;
  const std::string staff_id = ap.json()["id"];

  // 1. Another tenant's admin: cannot see, enter, approve or change anything of tenant A.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"cloudkey", "staff", "list", tenant_},
           {"cloudkey", "staff", "approve", tenant_, staff_id},
           {"cloudkey", "staff", "refuse", tenant_, staff_id, "--reason", "x"},
           {"cloudkey", "staff", "add", tenant_, "--staff-no", "X1", "--name", "冒名", "--phone", intruder_phone,
            "--id-number", "440524198001010013"},
           {"cloudkey", "settings", tenant_, "--secondary-devices", "off"}}) {
    auto r = cli(intruder_dev, args);
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_NE(r.err.find("tenant"), std::string::npos) << r;
  }
  auto still = cli(admin_dev_, {"--json", "cloudkey", "staff", "list", tenant_});
  ASSERT_EQ(still.exit_code, 0) << still;
  ASSERT_EQ(still.json()["items"].size(), 1u) << still;
  EXPECT_EQ(still.json()["items"][0]["status"], "pending");
  auto t = call("GET", "/api/v1/cloudkey/tenants/" + tenant_, operator_token_);
  EXPECT_EQ(t.json()["secondary_devices"], true) << t.body;
  // Nor can the staff member approve their own application.
  EXPECT_EQ(cli(staff_dev_, {"cloudkey", "staff", "approve", tenant_, staff_id}).exit_code, 3);

  ASSERT_EQ(cli(admin_dev_, {"cloudkey", "staff", "approve", tenant_, staff_id}).exit_code, 0);
  Downloaded main = setup(staff_dev_, "D1001");
  ASSERT_FALSE(main.key_id.empty());
  const std::string second = dev("ck-staff-2");
  const std::string sec = pair_secondary(second, main.cert_id);
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "devices", "activate", sec}).exit_code, 0);

  // 2. Another staff member (the intruder, with the staff number and key id): no download of
  // someone else's record, no device or log of someone else's key.
  auto steal = cli(intruder_dev, {"cloudkey", "setup", "--tenant", tenant_, "--staff-no", "D1001"}, {pin_, pin_});
  EXPECT_EQ(steal.exit_code, 3) << steal;
  EXPECT_NE(steal.err.find("staff record"), std::string::npos) << steal;
  auto apply_same = cli(intruder_dev, {"cloudkey", "apply", "--tenant", tenant_, "--staff-no", "D1001", "--name",
                                       "冒名", "--id-number", "440524198001010013"});
  EXPECT_EQ(apply_same.exit_code, 3) << apply_same;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"cloudkey", "devices", "freeze", sec, "--key", main.key_id},
           {"cloudkey", "devices", "list", "--key", main.key_id},
           {"cloudkey", "log", "--key", main.key_id},
           {"cloudkey", "devices", "remove", sec, "--key", main.key_id, "--code",
            code(intruder_dev, intruder_phone, "authorise")},
           {"cloudkey", "devices", "unlock", "--key", main.key_id, "--code",
            code(intruder_dev, intruder_phone, "authorise")}}) {
    auto r = cli(intruder_dev, args);
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_NE(r.err.find("cloud key"), std::string::npos) << r;
  }
  EXPECT_EQ(status_of(devices(staff_dev_), sec), "active");
  EXPECT_EQ(status_of(devices(staff_dev_), main.device_id), "active");
  // The secondary device cannot freeze or activate anything: that is the main device's.
  auto from_second = cli(second, {"cloudkey", "devices", "freeze", main.device_id});
  EXPECT_EQ(from_second.exit_code, 3) << from_second;
  EXPECT_EQ(status_of(devices(staff_dev_), main.device_id), "active");

  // 3. A frozen device: refused at once, even with password and SMS code; nothing else changes.
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "devices", "freeze", sec}).exit_code, 0);
  put(f("msg.txt"), "冻结后签名");
  ASSERT_EQ(unlock(second, staff_phone_).exit_code, 0);
  auto frozen = sign(second, main.cert_id, "f.der");
  EXPECT_EQ(frozen.exit_code, 3) << frozen;
  EXPECT_NE(frozen.err.find("frozen"), std::string::npos) << frozen;
  // Nor can it unfreeze itself or add a device.
  EXPECT_EQ(cli(second, {"cloudkey", "devices", "activate", sec}).exit_code, 3);
  EXPECT_EQ(status_of(devices(staff_dev_), sec), "frozen");
  // The main device still signs.
  EXPECT_EQ(sign(staff_dev_, main.cert_id, "m.der").exit_code, 0);
}

// 授权管理: a resident asks a doctor (by staff number); the doctor approves 2 uses (the resident is
// told by SMS); the resident's device joins the doctor's key and signs twice, the third is
// refused; a change of terms renews it; a frozen delegation refuses at once and works again when
// unfrozen; a deleted one's device share is gone. Every use is recorded against both and shown in
// the doctor's usage log.
TEST_P(CloudKeyE2eTest, DelegationTwoUsesThenRefusedFrozenRenewedDeletedAndLoggedForBoth) {
  SetUpTenant();
  apply_and_approve(staff_dev_, "D1001", "张医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D1001");
  ASSERT_FALSE(main.cert_id.empty());
  put(f("leaf.pem"), main.pem);
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  put(f("msg.txt"), "住院医师代签 2026-0002");
  const std::string res_dev = dev("ck-resident"), res_pin = "Pin#resident";
  register_cli(res_dev, other_phone_);
  ASSERT_EQ(cli(admin_dev_, {"cloudkey", "staff", "add", tenant_, "--staff-no", "R3001", "--name", "刘住院",
                             "--phone", other_phone_, "--id-number", "440524198001010013"})
                .exit_code,
            0);
  auto rq = cli(res_dev, {"--json", "cloudkey", "delegation", "request", "--tenant", tenant_, "--holder", "D1001",
                          "--statement", "夜班代签处方"});
  ASSERT_EQ(rq.exit_code, 0) << rq;
  EXPECT_EQ(rq.json()["status"], "requested");
  const std::string id = rq.json()["id"];
  EXPECT_NE(last_sms(staff_phone_).find("请求使用您的云密钥证书"), std::string::npos);
  auto ap = cli(staff_dev_, {"--json", "cloudkey", "delegation", "approve", id, "--uses", "2", "--for", "1h"});
  ASSERT_EQ(ap.exit_code, 0) << ap;
  EXPECT_EQ(ap.json()["uses_left"], 2);
  EXPECT_NE(last_sms(other_phone_).find("可使用 2 次"), std::string::npos) << last_sms(other_phone_);
  pair_delegate(res_dev, id, main.cert_id, res_pin);

  auto rsign = [&](const std::string& out) {
    return cli(res_dev, {"--json", "cert", "sign", "--cert", main.cert_id, "--in", f("msg.txt"), "--sm2-id", "",
                         "--out", f(out)},
               {res_pin});
  };
  for (const char* out : {"d1.der", "d2.der"}) {
    auto r = rsign(out);
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_TRUE(verified(out));
  }
  auto third = rsign("d3.der");
  EXPECT_EQ(third.exit_code, 3) << third;
  EXPECT_NE(third.err.find("spent"), std::string::npos) << third;
  // Renewed with 3 more uses; a freeze refuses at once, an unfreeze lets it work again.
  auto ch = cli(staff_dev_, {"--json", "cloudkey", "delegation", "change", id, "--uses", "3", "--for", "2h"});
  ASSERT_EQ(ch.exit_code, 0) << ch;
  EXPECT_EQ(rsign("d3.der").exit_code, 0);
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "delegation", "freeze", id}).exit_code, 0);
  auto frozen = rsign("d4.der");
  EXPECT_EQ(frozen.exit_code, 3) << frozen;
  EXPECT_NE(frozen.err.find("froze"), std::string::npos) << frozen;
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "delegation", "unfreeze", id}).exit_code, 0);
  EXPECT_EQ(rsign("d4.der").exit_code, 0);
  EXPECT_TRUE(verified("d4.der"));

  // Recorded against both: the delegation's uses for the holder and the delegate, and the
  // holder's usage log.
  for (const auto& d : {staff_dev_, res_dev}) {
    auto uses = cli(d, {"--json", "cloudkey", "delegation", "uses", id});
    ASSERT_EQ(uses.exit_code, 0) << uses;
    std::map<std::string, int> n;
    const nlohmann::json items = uses.json()["items"];
    for (const auto& u : items) ++n[u["result"].get<std::string>()];
    EXPECT_EQ(n["ok"], 4) << uses;
    EXPECT_EQ(n["delegation_used_up"], 1) << uses;
    EXPECT_EQ(n["delegation_frozen"], 1) << uses;
  }
  auto log = cli(staff_dev_, {"--json", "cloudkey", "log"});
  ASSERT_EQ(log.exit_code, 0) << log;
  int delegated_ok = 0;
  const nlohmann::json log_items = log.json()["items"];
  for (const auto& e : log_items) {
    if (e["delegation_id"] == id && e["result"] == "ok" && e["operation"] == "sign") ++delegated_ok;
  }
  EXPECT_EQ(delegated_ok, 4) << log;

  // The transparency log: the issuance and the holder's steps (shield.install, shield.sign) and
  // each delegate use (cloudkey.delegation.use) are the holder's entries.
  EXPECT_EQ(call("POST", "/api/v1/operator/ledger/checkpoints", operator_token_).status, 200);
  const nlohmann::json entries =
      call("GET", "/api/v1/account/ledger-entries?limit=1000",
           nlohmann::json::parse(read_all(staff_dev_ + "/session.json"))["token"].get<std::string>())
          .json()["items"];
  std::map<std::string, int> types;
  for (const auto& e : entries) {
    auto entry = nlohmann::json::parse(e["entry"].get<std::string>());
    ++types[entry["type"].get<std::string>() + " " + entry.value("result", "")];
  }
  EXPECT_EQ(types["shield.install ok"], 1) << entries.dump();
  EXPECT_EQ(types["cloudkey.delegation.approve ok"], 1) << entries.dump();
  EXPECT_EQ(types["cloudkey.delegation.use ok"], 4) << entries.dump();
  EXPECT_EQ(types["cloudkey.delegation.use delegation_frozen"], 1) << entries.dump();

  // 重置授权密码: the holder has a new password sent to the delegate by SMS; one wrong try voids
  // it; the next one works and the old password no longer does.
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "delegation", "reset-password", id}).exit_code, 0);
  auto wrong = cli(res_dev, {"cloudkey", "delegation", "apply-reset", id}, {"00000000"});
  EXPECT_EQ(wrong.exit_code, 3) << wrong;
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "delegation", "reset-password", id}).exit_code, 0);
  std::smatch m;
  const std::string text = last_sms(other_phone_);
  ASSERT_TRUE(std::regex_search(text, m, std::regex("重置为 ([0-9]{8})"))) << text;
  const std::string reset_pw = m[1];
  auto applied = cli(res_dev, {"--json", "cloudkey", "delegation", "apply-reset", id}, {reset_pw});
  ASSERT_EQ(applied.exit_code, 0) << applied;
  auto old_pw = rsign("d5.der");
  EXPECT_EQ(old_pw.exit_code, 4) << old_pw;  // a wrong certificate password
  EXPECT_NE(old_pw.out.find("bad_unlock_proof"), std::string::npos) << old_pw;
  auto new_pw = cli(res_dev, {"--json", "cert", "sign", "--cert", main.cert_id, "--in", f("msg.txt"), "--sm2-id", "",
                              "--out", f("d5.der")},
                    {reset_pw});
  ASSERT_EQ(new_pw.exit_code, 0) << new_pw;
  EXPECT_TRUE(verified("d5.der"));

  // Deleted: the delegate's device share is gone at once.
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "delegation", "delete", id}).exit_code, 0);
  auto after = rsign("d6.der");
  EXPECT_EQ(after.exit_code, 3) << after;
  auto list = cli(res_dev, {"--json", "cloudkey", "delegation", "list"});
  ASSERT_EQ(list.exit_code, 0) << list;
  EXPECT_EQ(list.json()["items"][0]["status"], "deleted");
}

// A delegate acting outside their grant: refused, nothing changed.
TEST_P(CloudKeyE2eTest, DelegateOutsideTheirGrantIsRefused) {
  SetUpTenant();
  apply_and_approve(staff_dev_, "D1001", "张医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D1001");
  const std::string res_dev = dev("ck-resident"), res_pin = "Pin#resident";
  register_cli(res_dev, other_phone_);
  ASSERT_EQ(cli(admin_dev_, {"cloudkey", "staff", "add", tenant_, "--staff-no", "R3001", "--name", "刘住院",
                             "--phone", other_phone_, "--id-number", "440524198001010013"})
                .exit_code,
            0);
  auto rq = cli(res_dev, {"--json", "cloudkey", "delegation", "request", "--tenant", tenant_, "--holder", "D1001"});
  ASSERT_EQ(rq.exit_code, 0) << rq;
  const std::string id = rq.json()["id"];
  // The delegate cannot approve their own request, nor pair before the holder approved.
  auto self = cli(res_dev, {"cloudkey", "delegation", "approve", id, "--uses", "100"});
  EXPECT_EQ(self.exit_code, 3) << self;
  auto early = cli(res_dev, {"grant", "pair", id, "--no-wait"});
  EXPECT_EQ(early.exit_code, 3) << early;
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "delegation", "approve", id, "--uses", "1", "--for", "1h"}).exit_code, 0);
  pair_delegate(res_dev, id, main.cert_id, res_pin);
  // Nor change its terms, unfreeze or delete it: those are the holder's.
  for (const auto& args : std::vector<std::vector<std::string>>{{"cloudkey", "delegation", "change", id, "--uses", "100"},
                                                                {"cloudkey", "delegation", "freeze", id},
                                                                {"cloudkey", "delegation", "delete", id}}) {
    auto r = cli(res_dev, args);
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_NE(r.err.find("delegation"), std::string::npos) << r;
  }
  // Nor hand the key on to another device, nor change the holder's device states.
  const std::string third = dev("ck-resident-2");
  login_cli(third, other_phone_);
  auto start = cli(third, {"--json", "device", "pair", "--no-wait"});
  ASSERT_EQ(start.exit_code, 0) << start;
  auto handed = cli(res_dev, {"device", "add", start.json()["id"], "--code", start.json()["code"], "--cert",
                              main.cert_id},
                    {res_pin});
  EXPECT_EQ(handed.exit_code, 3) << handed;
  auto fr = cli(res_dev, {"cloudkey", "devices", "freeze", main.device_id, "--key", main.key_id});
  EXPECT_EQ(fr.exit_code, 3) << fr;
  // Nothing changed: one use left, live, and the holder's main device active.
  auto list = cli(staff_dev_, {"--json", "cloudkey", "delegation", "list"});
  ASSERT_EQ(list.exit_code, 0) << list;
  EXPECT_EQ(list.json()["items"][0]["uses_left"], 1) << list;
  EXPECT_EQ(list.json()["items"][0]["live"], true) << list;
  EXPECT_EQ(status_of(devices(staff_dev_), main.device_id), "active");
  put(f("msg.txt"), "一次");
  EXPECT_EQ(cli(res_dev, {"cert", "sign", "--cert", main.cert_id, "--in", f("msg.txt")}, {res_pin}).exit_code, 0);
}

// Settings: the usage log exported for support opens with the tenant's support key only.
TEST_P(CloudKeyE2eTest, ExportedLogOpensOnlyWithTheSupportKey) {
  SetUpTenant();
  apply_and_approve(staff_dev_, "D1001", "张医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D1001");
  put(f("msg.txt"), "导出日志");
  ASSERT_EQ(sign(staff_dev_, main.cert_id, "s.der").exit_code, 0);
  // No support key yet: refused.
  auto early = cli(staff_dev_, {"cloudkey", "export-log", "--out", f("log0.p7")});
  EXPECT_EQ(early.exit_code, 3) << early;
  EXPECT_NE(early.err.find("support key"), std::string::npos) << early;
  // The support side's SM2 key and certificate, made by openssl.
  for (const char* who : {"support", "stranger"}) {
    const std::string w = who;
    sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out " + f(w + ".key"));
    sh("openssl req -x509 -new -key " + f(w + ".key") + " -subj /CN=" + w + " -days 30 -sm3 -out " + f(w + ".pem"));
  }
  auto bad = call("PUT", "/api/v1/operator/cloudkey/tenants/" + tenant_ + "/support-certificate", operator_token_,
                  {{"certificate_pem", "not a certificate"}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto set = call("PUT", "/api/v1/operator/cloudkey/tenants/" + tenant_ + "/support-certificate", operator_token_,
                  {{"certificate_pem", read_all(f("support.pem"))}});
  ASSERT_EQ(set.status, 200) << set.body;
  auto ex = cli(staff_dev_, {"--json", "cloudkey", "export-log", "--out", f("log.p7")});
  ASSERT_EQ(ex.exit_code, 0) << ex;
  // The support key opens it: the log inside names the signature.
  auto open = cli(staff_dev_, {"--json", "cloudkey", "decrypt-log", "--in", f("log.p7"), "--support-key",
                               f("support.key")});
  ASSERT_EQ(open.exit_code, 0) << open;
  EXPECT_EQ(open.json()["key_id"], main.key_id) << open;
  int signs = 0;
  const nlohmann::json items = open.json()["items"];
  for (const auto& e : items) signs += e["operation"] == "sign" && e["result"] == "ok";
  EXPECT_EQ(signs, 1) << open;
  // Nothing else does: another SM2 key, and the bytes are not the plain log.
  auto other = cli(staff_dev_, {"cloudkey", "decrypt-log", "--in", f("log.p7"), "--support-key", f("stranger.key")});
  EXPECT_NE(other.exit_code, 0) << other;
  EXPECT_EQ(read_all(f("log.p7")).find("\"operation\""), std::string::npos);
}

// 签名采集: the staff member uploads a canvas PNG; the server keeps it cleaned (pen ink, cropped,
// black on transparent), replaceable; the staff member and the tenant admin read it. The refused
// side: another staff member (reading, replacing, or passing off the victim's upload as their
// own), another tenant's admin, and a picture without a signature; nothing changes.
TEST_P(CloudKeyE2eTest, SignatureCaptureStoredCleanedReplaceableAndReadOnlyByStaffAndAdmin) {
  SetUpTenant();
  const std::string staff_id = apply_and_approve(staff_dev_, "D1001", "张医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D1001");
  ASSERT_FALSE(main.key_id.empty());
  signature_png(f("sig1.png"), 0);
  auto set = cli(staff_dev_, {"--json", "cloudkey", "signature", "set", f("sig1.png")});
  ASSERT_EQ(set.exit_code, 0) << set;
  const std::string sha1 = set.json()["sha256"];
  // Cleaned, not stored as sent: cropped to the ink, 50 mm at 200 dpi across.
  EXPECT_EQ(set.json()["width_px"], 394) << set;
  EXPECT_LT(set.json()["height_px"].get<int>(), 394) << set;
  auto show = cli(staff_dev_, {"--json", "cloudkey", "signature", "show", "--out", f("mine.png")});
  ASSERT_EQ(show.exit_code, 0) << show;
  EXPECT_EQ(show.json()["sha256"], sha1);
  EXPECT_NE(sh("file " + f("mine.png")).find("PNG image data, 394 x"), std::string::npos) << sh("file " + f("mine.png"));
  EXPECT_EQ(sh("sha256sum " + f("mine.png")).substr(0, 64), sha1);
  EXPECT_NE(read_all(f("mine.png")), read_all(f("sig1.png")));
  // The tenant admin reads the same picture.
  auto adm = cli(admin_dev_, {"--json", "cloudkey", "staff", "signature", tenant_, staff_id, "--out", f("adm.png")});
  ASSERT_EQ(adm.exit_code, 0) << adm;
  EXPECT_EQ(read_all(f("adm.png")), read_all(f("mine.png")));
  // Replaceable: a new drawing replaces it.
  signature_png(f("sig2.png"), 40);
  auto again = cli(staff_dev_, {"--json", "cloudkey", "signature", "set", f("sig2.png")});
  ASSERT_EQ(again.exit_code, 0) << again;
  const std::string sha2 = again.json()["sha256"];
  EXPECT_NE(sha2, sha1);
  EXPECT_EQ(cli(staff_dev_, {"--json", "cloudkey", "signature", "show"}).json()["sha256"], sha2);

  // The refused side. A picture with no signature in it, and a file that is not a PNG.
  put(f("blank.png"), kPng);
  auto blank = cli(staff_dev_, {"cloudkey", "signature", "set", f("blank.png")});
  EXPECT_EQ(blank.exit_code, 3) << blank;
  put(f("not.png"), "GIF89a not a png");
  EXPECT_NE(cli(staff_dev_, {"cloudkey", "signature", "set", f("not.png")}).exit_code, 0);
  // Another staff member of the tenant with a key of their own.
  const std::string other_dev = dev("ck-other");
  Downloaded other = entered_staff(other_dev, other_phone_, "N2005");
  ASSERT_FALSE(other.key_id.empty());
  auto peek = cli(other_dev, {"cloudkey", "signature", "show", "--key", main.key_id, "--out", f("stolen.png")});
  EXPECT_EQ(peek.exit_code, 3) << peek;
  EXPECT_NE(peek.err.find("cloud key"), std::string::npos) << peek;
  signature_png(f("forged.png"), 90);
  auto forge = cli(other_dev, {"cloudkey", "signature", "set", f("forged.png"), "--key", main.key_id});
  EXPECT_EQ(forge.exit_code, 3) << forge;
  // Nor can they take the victim's upload for their own record: the upload is not theirs.
  signature_png(f("sig3.png"), 120);
  const std::string victims_upload =
      upload(session_token(staff_dev_), "handwritten_signature", read_all(f("sig3.png")), "image/png");
  ASSERT_FALSE(victims_upload.empty());
  auto taken = call("PUT", "/api/v1/cloudkey/keys/" + other.key_id + "/signature", session_token(other_dev),
                    {{"blob_id", victims_upload}});
  EXPECT_EQ(taken.status, 404) << taken.body;
  EXPECT_EQ(taken.json()["code"], "signature_upload_not_found") << taken.body;
  // Nor an admin of tenant B, nor the other staff member, through the admin route.
  const std::string other_tenant = create_tenant("示例市第二人民医院", true);
  const std::string intruder_dev = dev("ck-intruder"), intruder_phone = "13912380021";
  register_cli(intruder_dev, intruder_phone);
  add_admin(other_tenant, intruder_phone);
  for (const auto& d : {intruder_dev, other_dev}) {
    auto r = cli(d, {"cloudkey", "staff", "signature", tenant_, staff_id, "--out", f("x.png")});
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_NE(r.err.find("tenant"), std::string::npos) << r;
  }
  // Nothing changed: the picture is the second drawing.
  EXPECT_EQ(cli(staff_dev_, {"--json", "cloudkey", "signature", "show"}).json()["sha256"], sha2);
  EXPECT_EQ(cli(other_dev, {"cloudkey", "signature", "show"}).exit_code, 3);  // none of their own yet
  auto types = ledger_types(staff_dev_);
  EXPECT_EQ(types["cloudkey.signature.set ok"], 2);
}

// 协同签名: the tenant's allowed application (a relying party) asks a staff certificate for a
// scene-20 signature; the staff member signs through `certseal scan`; the relying party checks
// the CMS with openssl. An application the tenant does not allow is refused, also when a client
// ignores the claim's verdict and posts a completion itself, and when the tenant stops allowing
// the application.
TEST_P(CloudKeyE2eTest, CollaborativeSigningOnlyThroughTheTenantsAllowedApplications) {
  SetUpTenant();
  catalogue();
  apply_and_approve(staff_dev_, "D1001", "张医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D1001");
  ASSERT_FALSE(main.cert_id.empty());
  struct App {
    std::string id, secret;
  };
  auto register_app = [&](const std::string& name) {
    auto r = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                  {{"name", name}, {"platform_id", platform_}, {"callback_url", "http://127.0.0.1:9/cb"},
                   {"scenes", {"20"}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return App{r.json().value("id", ""), r.json().value("secret", "")};
  };
  int nonces = 0;
  auto rp = [&](const App& app, const std::string& method, const std::string& target,
                const nlohmann::json& body = nullptr) {
    const std::string text = body.is_null() ? "" : body.dump();
    const std::string nonce = "ck-nonce-" + std::to_string(++nonces) + "-" + std::to_string(::getpid());
    std::vector<std::string> h = {"Authorization: " + service::rp_authorization(service::kRpSchemeSha256, app.id,
                                                                                 app.secret, method, target, text,
                                                                                 SystemClock().now_unix(), nonce)};
    if (!text.empty()) h.push_back("Content-Type: application/json");
    return http_->request(method, target, text, h);
  };
  const App his = register_app("医院电子病历系统"), other = register_app("外部系统");
  auto st = cli(admin_dev_, {"--json", "cloudkey", "settings", tenant_, "--allowed-apps", his.id});
  ASSERT_EQ(st.exit_code, 0) << st;
  EXPECT_EQ(st.json()["allowed_apps"], nlohmann::json::array({his.id})) << st;
  // An application that does not exist is not allowed in: nothing changes.
  auto bogus = cli(admin_dev_, {"cloudkey", "settings", tenant_, "--allowed-apps", his.id + ",no-such-app"});
  EXPECT_EQ(bogus.exit_code, 3) << bogus;
  EXPECT_EQ(call("GET", "/api/v1/cloudkey/tenants/" + tenant_, session_token(staff_dev_)).json()["allowed_apps"],
            nlohmann::json::array({his.id}));

  const std::string message = "出院小结 2026-0103 主治医师签名";
  auto ask = [&](const App& app) {
    auto c = rp(app, "POST", "/api/v1/rp/scene-requests",
                {{"scene", "20"}, {"title", "签署出院小结"}, {"nonce", "ck-msg-" + std::to_string(++nonces)},
                 {"message", base64_encode(as_bytes(message))}});
    EXPECT_EQ(c.status, 201) << c.body;
    return c.json();
  };
  auto c = ask(his);
  auto scan = cli(staff_dev_, {"--json", "scan", "--payload", c["qr_payload"], "--yes"}, {pin_});
  ASSERT_EQ(scan.exit_code, 0) << scan;
  auto v = rp(his, "GET", "/api/v1/rp/scene-requests/" + c["id"].get<std::string>()).json();
  ASSERT_EQ(v["status"], "completed") << v;
  // The relying party checks the CMS with openssl: `cms -verify` for the structure, the signer's
  // chain to the tenant's CA and the content; OpenSSL 3.0's CMS code does not apply GM/T 0009's
  // default SM2 ID (1234567812345678) to the signer's signature, so the signature over the signed
  // attributes is checked with `pkeyutl` and that ID, and the content's SM3 digest against the
  // messageDigest attribute.
  const Bytes cms = base64_decode(v["result"]["cms"].get<std::string>()).value();
  put(f("collab.der"), to_string(cms));
  put(f("chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
  const std::string verify = sh("openssl cms -verify -nosigs -inform DER -in " + f("collab.der") + " -CAfile " +
                                f("chain.pem") + " -purpose any -out " + f("collab.txt"));
  EXPECT_NE(verify.find("Verification successful"), std::string::npos) << verify;
  EXPECT_EQ(read_all(f("collab.txt")), message);
  auto parsed = pki::cms::verify(cms, std::nullopt);
  ASSERT_TRUE(parsed.ok()) << parsed.error().code;
  put(f("leaf.pem"), v["result"]["certificate"].get<std::string>());
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  put(f("attrs.der"), to_string(parsed->signed_attributes));
  put(f("sig.der"), to_string(parsed->signature));
  EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -rawin -digest sm3 -in " + f("attrs.der") +
               " -sigfile " + f("sig.der") + " -pkeyopt distid:1234567812345678")
                .find("Signature Verified Successfully"),
            std::string::npos);
  std::string sm3 = sh("openssl dgst -sm3 -r " + f("collab.txt")).substr(0, 64);
  for (auto& ch : sm3) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_NE(sh("openssl asn1parse -inform DER -in " + f("collab.der")).find("[HEX DUMP]:" + sm3), std::string::npos);
  EXPECT_NE(sh("openssl x509 -in " + f("leaf.pem") + " -noout -subject -nameopt utf8").find("D1001"),
            std::string::npos);
  EXPECT_NE(v["result"]["certificate"].get<std::string>().find("BEGIN CERTIFICATE"), std::string::npos);

  // A delegate answers through the same scene path within a delegation: one use, counted at the
  // two-party step; the next request finds the delegation spent (not offered), and another
  // application's never offers the holder's certificate.
  const std::string res_dev = dev("ck-resident"), res_pin = "Pin#resident";
  register_cli(res_dev, other_phone_);
  ASSERT_EQ(cli(admin_dev_, {"cloudkey", "staff", "add", tenant_, "--staff-no", "R3001", "--name", "刘住院",
                             "--phone", other_phone_, "--id-number", "440524198001010013"})
                .exit_code,
            0);
  auto rq = cli(res_dev, {"--json", "cloudkey", "delegation", "request", "--tenant", tenant_, "--holder", "D1001"});
  ASSERT_EQ(rq.exit_code, 0) << rq;
  const std::string delegation = rq.json()["id"];
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "delegation", "approve", delegation, "--uses", "1", "--for", "1h"}).exit_code, 0);
  pair_delegate(res_dev, delegation, main.cert_id, res_pin);
  auto cd = ask(his);
  auto rs = cli(res_dev, {"--json", "scan", "--payload", cd["qr_payload"], "--yes"}, {res_pin});
  ASSERT_EQ(rs.exit_code, 0) << rs;
  auto vd = rp(his, "GET", "/api/v1/rp/scene-requests/" + cd["id"].get<std::string>()).json();
  ASSERT_EQ(vd["status"], "completed") << vd;
  EXPECT_EQ(vd["result"]["certificate"], v["result"]["certificate"]);  // the holder's certificate
  put(f("delegated.der"), to_string(base64_decode(vd["result"]["cms"].get<std::string>()).value()));
  EXPECT_NE(sh("openssl cms -verify -nosigs -inform DER -in " + f("delegated.der") + " -CAfile " + f("chain.pem") +
               " -purpose any -out " + f("delegated.txt"))
                .find("Verification successful"),
            std::string::npos);
  EXPECT_EQ(read_all(f("delegated.txt")), message);
  auto cd2 = ask(his);
  auto spent = cli(res_dev, {"scan", "--payload", cd2["qr_payload"], "--yes"}, {res_pin});
  EXPECT_EQ(spent.exit_code, 3) << spent;
  EXPECT_NE(rp(his, "GET", "/api/v1/rp/scene-requests/" + cd2["id"].get<std::string>()).json()["status"], "completed");
  auto duses = cli(staff_dev_, {"--json", "cloudkey", "delegation", "uses", delegation});
  ASSERT_EQ(duses.exit_code, 0) << duses;
  std::map<std::string, int> dn;
  const nlohmann::json du_items = duses.json()["items"];
  for (const auto& u : du_items) ++dn[u["result"].get<std::string>()];
  // One use, and nothing more: the spent delegation is no longer offered at the claim.
  EXPECT_EQ(dn["ok"], 1) << duses;
  EXPECT_EQ(du_items.size(), 1u) << duses;
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "delegation", "change", delegation, "--uses", "5", "--for", "1h"}).exit_code, 0);
  auto cd3 = ask(other);
  EXPECT_EQ(cli(res_dev, {"scan", "--payload", cd3["qr_payload"], "--yes"}, {res_pin}).exit_code, 3);

  // Another application: the staff certificate is not offered, and the client says why.
  auto c2 = ask(other);
  auto refused = cli(staff_dev_, {"scan", "--payload", c2["qr_payload"], "--yes"}, {pin_});
  EXPECT_EQ(refused.exit_code, 3) << refused;
  // A client that ignores that and posts a completion itself is refused by the server.
  auto c3 = ask(other);
  const std::string payload = c3["qr_payload"];
  auto claim = call("POST", "/api/v1/scene-claims", session_token(staff_dev_),
                    {{"token", payload.substr(payload.rfind('/') + 1)}});
  ASSERT_EQ(claim.status, 200) << claim.body;
  bool offered = false;
  const nlohmann::json choices = claim.json()["certificates"];
  for (const auto& ch : choices) {
    if (ch["certificate_id"] == main.cert_id) {
      offered = ch["enabled"].get<bool>();
      EXPECT_EQ(ch["reason"], "app_not_allowed") << claim.body;
    }
  }
  EXPECT_FALSE(offered);
  auto forced = call("POST", "/api/v1/scene-requests/" + c3["id"].get<std::string>() + "/completion",
                     session_token(staff_dev_),
                     {{"certificate_id", main.cert_id}, {"signing_time", SystemClock().now_unix()},
                      {"signature", v["result"]["signature"]}});
  EXPECT_EQ(forced.status, 403) << forced.body;
  EXPECT_EQ(forced.json()["code"], "app_not_allowed") << forced.body;
  EXPECT_NE(rp(other, "GET", "/api/v1/rp/scene-requests/" + c3["id"].get<std::string>()).json()["status"],
            "completed");

  // The tenant stops allowing its own application: refused from then on.
  ASSERT_EQ(cli(admin_dev_, {"cloudkey", "settings", tenant_, "--allowed-apps", ""}).exit_code, 0);
  auto c4 = ask(his);
  EXPECT_EQ(cli(staff_dev_, {"scan", "--payload", c4["qr_payload"], "--yes"}, {pin_}).exit_code, 3);
  EXPECT_EQ(rp(his, "GET", "/api/v1/rp/scene-requests/" + c4["id"].get<std::string>()).json()["status"] == "completed",
            false);
  // The admin's settings changes are the admin's ledger entries.
  auto types = ledger_types(admin_dev_);
  EXPECT_EQ(types["cloudkey.tenant.settings ok"], 2);
  EXPECT_EQ(types["cloudkey.tenant.admin_add ok"], 1);
  EXPECT_EQ(types["cloudkey.staff.approve ok"], 1);
}

// All secondary devices removed in one step, from the main device with an SMS code and by the
// tenant admin: their server shares go at once, so a removed secondary's signature is refused.
// The refused side: a secondary device, another staff member, a wrong code, another tenant's
// admin; nothing changes. Each decision is a ledger entry.
TEST_P(CloudKeyE2eTest, AllSecondaryDevicesRemovedAtOnceAndTheirSignaturesRefused) {
  SetUpTenant();
  const std::string staff_id = apply_and_approve(staff_dev_, "D1001", "张医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D1001");
  ASSERT_FALSE(main.cert_id.empty());
  put(f("leaf.pem"), main.pem);
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  put(f("msg.txt"), "会诊意见");
  const std::string d2 = dev("ck-staff-2"), d3 = dev("ck-staff-3");
  const std::string sec2 = pair_secondary(d2, main.cert_id);
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "devices", "activate", sec2}).exit_code, 0);
  const std::string sec3 = pair_secondary(d3, main.cert_id);
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "devices", "activate", sec3}).exit_code, 0);
  ASSERT_EQ(unlock(d2, staff_phone_).exit_code, 0);
  ASSERT_EQ(sign(d2, main.cert_id, "s2.der").exit_code, 0);
  EXPECT_TRUE(verified("s2.der"));

  // The refused side first: a secondary device, another staff member, a wrong code.
  auto from_secondary = cli(d2, {"cloudkey", "devices", "remove-secondaries", "--code", code(d2, staff_phone_, "authorise")});
  EXPECT_EQ(from_secondary.exit_code, 3) << from_secondary;
  EXPECT_NE(from_secondary.err.find("main device"), std::string::npos) << from_secondary;
  const std::string other_dev = dev("ck-other");
  Downloaded other = entered_staff(other_dev, other_phone_, "N2005");
  auto stranger = cli(other_dev, {"cloudkey", "devices", "remove-secondaries", "--key", main.key_id, "--code",
                                  code(other_dev, other_phone_, "authorise")});
  EXPECT_EQ(stranger.exit_code, 3) << stranger;
  EXPECT_NE(stranger.err.find("cloud key"), std::string::npos) << stranger;
  auto wrong = cli(staff_dev_, {"cloudkey", "devices", "remove-secondaries", "--code", "000000"});
  EXPECT_EQ(wrong.exit_code, 3) << wrong;
  const std::string other_tenant = create_tenant("示例市第二人民医院", true);
  const std::string intruder_dev = dev("ck-intruder"), intruder_phone = "13912380021";
  register_cli(intruder_dev, intruder_phone);
  add_admin(other_tenant, intruder_phone);
  for (const auto& d : {intruder_dev, other_dev}) {
    auto r = cli(d, {"cloudkey", "staff", "remove-secondaries", tenant_, staff_id});
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_NE(r.err.find("tenant"), std::string::npos) << r;
  }
  EXPECT_EQ(status_of(devices(staff_dev_), sec2), "active");
  EXPECT_EQ(status_of(devices(staff_dev_), sec3), "active");

  // The holder, from the main device, with an SMS code: both go at once.
  auto rm = cli(staff_dev_, {"--json", "cloudkey", "devices", "remove-secondaries", "--code",
                             code(staff_dev_, staff_phone_, "authorise")});
  ASSERT_EQ(rm.exit_code, 0) << rm;
  EXPECT_EQ(rm.json()["removed"].size(), 2u) << rm;
  EXPECT_EQ(status_of(devices(staff_dev_), sec2), "removed");
  EXPECT_EQ(status_of(devices(staff_dev_), sec3), "removed");
  // A removed secondary's signature is refused: its device share alone is useless.
  auto gone = sign(d3, main.cert_id, "s3.der");
  EXPECT_NE(gone.exit_code, 0) << gone;
  EXPECT_FALSE(std::filesystem::exists(f("s3.der")));
  // The main device still signs.
  ASSERT_EQ(sign(staff_dev_, main.cert_id, "m.der").exit_code, 0);
  EXPECT_TRUE(verified("m.der"));

  // The tenant admin, without an SMS code: a newly paired secondary goes too.
  const std::string d4 = dev("ck-staff-4");
  const std::string sec4 = pair_secondary(d4, main.cert_id);
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "devices", "activate", sec4}).exit_code, 0);
  auto by_admin = cli(admin_dev_, {"--json", "cloudkey", "staff", "remove-secondaries", tenant_, staff_id});
  ASSERT_EQ(by_admin.exit_code, 0) << by_admin;
  EXPECT_EQ(by_admin.json()["removed"], nlohmann::json::array({sec4})) << by_admin;
  ASSERT_NE(unlock(d4, staff_phone_).exit_code, 0);
  EXPECT_NE(sign(d4, main.cert_id, "s4.der").exit_code, 0);
  EXPECT_EQ(status_of(devices(staff_dev_), main.device_id), "active");

  // The decisions are in the ledger: the holder's device binding, activations and removals.
  auto types = ledger_types(staff_dev_);
  EXPECT_EQ(types["cloudkey.device.bind ok"], 1);
  EXPECT_EQ(types["cloudkey.device.activate ok"], 3);
  EXPECT_EQ(types["cloudkey.device.remove_secondaries ok"], 2);
  EXPECT_EQ(types["cloudkey.staff.apply ok"], 1);
  EXPECT_EQ(types["cloudkey.staff.approve ok"], 1);
}

// 找回密码: a picture captcha, then an SMS code, then a new password that re-masks the device's
// share. The refused side: a wrong answer, the same captcha again, an expired one (no SMS sent
// for any), a script past the per-address budget, an SMS code not issued after a captcha (the
// public SMS endpoint's), and another staff member asking for the victim's key.
TEST_P(CloudKeyE2eTest, PasswordRecoveryNeedsAPictureCaptchaThenAnSmsCode) {
  SetUpTenant();
  apply_and_approve(staff_dev_, "D1001", "张医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D1001");
  ASSERT_FALSE(main.key_id.empty());
  put(f("leaf.pem"), main.pem);
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  put(f("msg.txt"), "找回密码后签名");
  const int sms_before = codes_sent(staff_phone_);

  // A wrong answer: refused, and the captcha is spent; the right answer after it is refused too.
  const std::string c1 = new_captcha(staff_dev_, "cap1.png");
  EXPECT_NE(sh("file " + f("cap1.png")).find("PNG image data, 200 x 64"), std::string::npos) << sh("file " + f("cap1.png"));
  const std::string a1 = solve_captcha(c1);
  ASSERT_EQ(a1.size(), 5u);
  std::string wrong_answer = a1;
  wrong_answer[0] = wrong_answer[0] == '9' ? '0' : static_cast<char>(wrong_answer[0] + 1);
  auto wrong = cli(staff_dev_, {"--json", "cloudkey", "password", "send-code", "--captcha", c1, "--answer", wrong_answer});
  EXPECT_EQ(wrong.exit_code, 3) << wrong;
  EXPECT_NE(wrong.out.find("captcha_wrong"), std::string::npos) << wrong;
  auto reused = cli(staff_dev_, {"--json", "cloudkey", "password", "send-code", "--captcha", c1, "--answer", a1});
  EXPECT_EQ(reused.exit_code, 3) << reused;
  EXPECT_NE(reused.out.find("captcha_used"), std::string::npos) << reused;
  // Expired (cloudkey.captcha_ttl_s=20 in this suite): refused though right.
  const std::string c2 = new_captcha(staff_dev_, "cap2.png");
  const std::string a2 = solve_captcha(c2);
  std::this_thread::sleep_for(std::chrono::seconds(22));
  auto late = cli(staff_dev_, {"--json", "cloudkey", "password", "send-code", "--captcha", c2, "--answer", a2});
  EXPECT_EQ(late.exit_code, 3) << late;
  EXPECT_NE(late.out.find("captcha_expired"), std::string::npos) << late;
  // Another staff member cannot start a recovery of the victim's key with a captcha of theirs.
  const std::string other_dev = dev("ck-other");
  Downloaded other = entered_staff(other_dev, other_phone_, "N2005");
  const std::string c3 = new_captcha(other_dev, "cap3.png");
  auto stranger = cli(other_dev, {"--json", "cloudkey", "password", "send-code", "--key", main.key_id, "--captcha", c3,
                                  "--answer", solve_captcha(c3)});
  EXPECT_EQ(stranger.exit_code, 3) << stranger;
  EXPECT_NE(stranger.out.find("key_not_found"), std::string::npos) << stranger;
  // No SMS went to the staff member for any of these.
  EXPECT_EQ(codes_sent(staff_phone_), sms_before);
  // Nor does a code from the public SMS endpoint (bound to key_recover) skip the captcha.
  const std::string public_code = scoped_code(staff_dev_, staff_phone_, "key_recover", main.key_id);
  auto skipped = cli(staff_dev_, {"--json", "cloudkey", "password", "recover", "--code", public_code},
                     {"Pin#hijack1", "Pin#hijack1"});
  EXPECT_EQ(skipped.exit_code, 3) << skipped;
  EXPECT_NE(skipped.out.find("sms_code_wrong_scope"), std::string::npos) << skipped;
  ASSERT_EQ(sign(staff_dev_, main.cert_id, "old.der").exit_code, 0);  // the old password still works

  // The right way: captcha, SMS code, new password.
  const int sms_now = codes_sent(staff_phone_);
  const std::string c4 = new_captcha(staff_dev_, "cap4.png");
  auto sent = cli(staff_dev_, {"--json", "cloudkey", "password", "send-code", "--captcha", c4, "--answer",
                               solve_captcha(c4)});
  ASSERT_EQ(sent.exit_code, 0) << sent;
  EXPECT_EQ(codes_sent(staff_phone_), sms_now + 1);
  const std::string new_pin = "Pin#recovered2";
  auto rec = cli(staff_dev_, {"--json", "cloudkey", "password", "recover", "--code", code_for(staff_phone_)},
                 {new_pin, new_pin});
  ASSERT_EQ(rec.exit_code, 0) << rec;
  auto old_pw = sign(staff_dev_, main.cert_id, "s-old.der");
  EXPECT_EQ(old_pw.exit_code, 4) << old_pw;
  auto with_new = cli(staff_dev_, {"--json", "cert", "sign", "--cert", main.cert_id, "--in", f("msg.txt"), "--sm2-id",
                                   "", "--out", f("s-new.der")},
                      {new_pin});
  ASSERT_EQ(with_new.exit_code, 0) << with_new;
  EXPECT_TRUE(verified("s-new.der"));

  // The budget per address (6 an hour in this suite): a script asking on is refused.
  int refused_at = 0;
  for (int i = 0; i < 4 && refused_at == 0; ++i) {
    auto c = cli(staff_dev_, {"--json", "cloudkey", "password", "captcha", "--out", f("capx.png")});
    if (c.exit_code != 0) {
      refused_at = i + 1;
      EXPECT_NE(c.out.find("captcha_budget_spent"), std::string::npos) << c;
    }
  }
  // Four were asked above from this address (the other staff member's too): the 5th and 6th
  // are the last allowed, the 7th is refused.
  EXPECT_EQ(refused_at, 3);
}

// 退出登录: the staff member ends the session of one application (another device's client) or
// of all; a token of an ended session is refused from then on. The refused side: another
// account cannot end the staff member's sessions.
TEST_P(CloudKeyE2eTest, LogOutOfOneApplicationOrOfAllAndTheEndedTokensAreRefused) {
  SetUpTenant();
  const std::string second = dev("ck-staff-2");
  login_cli(second, staff_phone_);
  auto mine = cli(second, {"--json", "cloudkey", "sessions"});
  ASSERT_EQ(mine.exit_code, 0) << mine;
  std::string second_session;
  const nlohmann::json items = mine.json()["items"];
  for (const auto& it : items) {
    if (it["current"] == true) second_session = it["id"];
  }
  ASSERT_EQ(second_session.size(), 16u) << mine;
  EXPECT_GE(items.size(), 2u) << mine;
  const std::string second_token = session_token(second), first_token = session_token(staff_dev_);

  // Another account (the admin) names the staff member's session: not found, nothing ends.
  auto stranger = cli(admin_dev_, {"--json", "cloudkey", "logout", second_session});
  EXPECT_EQ(stranger.exit_code, 3) << stranger;
  EXPECT_NE(stranger.out.find("session_not_found"), std::string::npos) << stranger;
  EXPECT_EQ(call("GET", "/api/v1/cloudkey/certificates", second_token).status, 200);

  // One application: the other device's session ends; this one goes on.
  auto one = cli(staff_dev_, {"--json", "cloudkey", "logout", second_session});
  ASSERT_EQ(one.exit_code, 0) << one;
  EXPECT_EQ(one.json()["ended"], 1) << one;
  auto after = call("GET", "/api/v1/cloudkey/certificates", second_token);
  EXPECT_EQ(after.status, 401) << after.body;
  EXPECT_NE(cli(second, {"cloudkey", "certificates"}).exit_code, 0);
  EXPECT_EQ(cli(staff_dev_, {"cloudkey", "certificates"}).exit_code, 0);

  // All: every session of the account ends, this one too (its local session is forgotten).
  login_cli(second, staff_phone_);
  auto all = cli(staff_dev_, {"--json", "cloudkey", "logout", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all;
  EXPECT_GE(all.json()["ended"].get<int>(), 2) << all;
  EXPECT_EQ(call("GET", "/api/v1/cloudkey/certificates", first_token).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/cloudkey/certificates", session_token(second)).status, 401);
  EXPECT_NE(cli(staff_dev_, {"cloudkey", "certificates"}).exit_code, 0);
  // The admin's own session was never touched.
  EXPECT_EQ(cli(admin_dev_, {"cloudkey", "staff", "list", tenant_}).exit_code, 0);
}

// About: the client's version, the server's (/api/v1/info) and the tenant's settings.
TEST_P(CloudKeyE2eTest, AboutShowsVersionsServerAndTheTenantsSettings) {
  SetUpTenant();
  apply_and_approve(staff_dev_, "D1001", "张医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D1001");
  ASSERT_FALSE(main.key_id.empty());
  auto about = cli(staff_dev_, {"--json", "cloudkey", "about"});
  ASSERT_EQ(about.exit_code, 0) << about;
  const auto info = http_->get("/api/v1/info").json();
  EXPECT_EQ(about.json()["server_version"], info["version"]) << about;
  EXPECT_FALSE(about.json()["client_version"].get<std::string>().empty()) << about;
  EXPECT_EQ(about.json()["server"], server_->base_url());
  EXPECT_EQ(about.json()["tenant"]["id"], tenant_) << about;
  EXPECT_EQ(about.json()["tenant"]["secondary_devices"], true) << about;
  EXPECT_EQ(about.json()["tenant"]["auth_mode"], "password") << about;
  auto text = cli(staff_dev_, {"cloudkey", "about"});
  ASSERT_EQ(text.exit_code, 0) << text;
  EXPECT_NE(text.out.find("示例市第一人民医院"), std::string::npos) << text;
}

// 删除证书 from the attacker's side: whoever restores a deleted device's files from a backup
// cannot sign, because the server share of that device is gone. The holder's last device may be
// deleted too (the key is retired, the certificate revoked), and the staff number downloads anew;
// the shield's rule (an order's key keeps its last device) stays for `devices remove`.
TEST_P(CloudKeyE2eTest, DeletedFromTheDeviceItsRestoredBackupCannotSignAndTheLastDeviceRetiresTheKey) {
  SetUpTenant();
  apply_and_approve(staff_dev_, "D2001", "钱医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D2001");
  ASSERT_FALSE(main.key_id.empty());
  EXPECT_NE(openssl_verify(main.pem).find(": OK"), std::string::npos);
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  put(f("msg.txt"), "出院小结 2026-0002");

  // While it is the only device, `devices remove` keeps the shield's rule.
  auto last = cli(staff_dev_, {"cloudkey", "devices", "remove", main.device_id, "--code",
                               code(staff_dev_, staff_phone_, "authorise")});
  EXPECT_EQ(last.exit_code, 3) << last;
  EXPECT_EQ(status_of(devices(staff_dev_), main.device_id), "active");

  const std::string second = dev("ck-del-2");
  const std::string sec = pair_secondary(second, main.cert_id);
  ASSERT_FALSE(sec.empty());
  ASSERT_EQ(cli(staff_dev_, {"cloudkey", "devices", "activate", sec}).exit_code, 0);
  ASSERT_EQ(unlock(second, staff_phone_).exit_code, 0);
  ASSERT_EQ(sign(second, main.cert_id, "s1.der").exit_code, 0);
  EXPECT_TRUE(verified("s1.der"));

  // The attacker copies the secondary device's files before the holder deletes the certificate.
  sh("cp -a " + second + " " + second + "-backup");

  // Refused, nothing changed: another staff member (their session, the right ids) and a wrong code.
  const std::string other = dev("ck-del-other");
  register_cli(other, other_phone_);
  auto foreign = call("POST", "/api/v1/cloudkey/keys/" + main.key_id + "/devices/" + sec + "/deletion",
                      session_token(other), {{"code", code(other, other_phone_, "authorise")}});
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  auto wrong = cli(second, {"cloudkey", "delete", "--code", "000000"});
  EXPECT_EQ(wrong.exit_code, 3) << wrong;
  EXPECT_EQ(status_of(devices(staff_dev_), sec), "active");
  EXPECT_TRUE(fs::exists(second + "/keys/" + main.key_id + ".json"));

  // The holder deletes it on the secondary device: the server share goes, then the local files.
  auto del = cli(second, {"--json", "cloudkey", "delete", "--code", code(second, staff_phone_, "authorise")});
  ASSERT_EQ(del.exit_code, 0) << del;
  EXPECT_EQ(del.json()["key_retired"], false) << del;
  EXPECT_EQ(del.json()["role"], "secondary") << del;
  EXPECT_FALSE(fs::exists(second + "/keys/" + main.key_id + ".json"));
  EXPECT_EQ(status_of(devices(staff_dev_), sec), "removed");
  // The server share itself is gone (not only the device's state): nothing is left to answer a step.
  EXPECT_EQ(sql_one("SELECT COUNT(*) FROM shield_devices WHERE key_id = '" + main.key_id + "' AND device_id = '" + sec +
                    "' AND server_share_enc IS NOT NULL"),
            "0");

  // The backup restored: the device share is back, its server share is not.
  sh("rm -rf " + second + " && cp -a " + second + "-backup " + second);
  ASSERT_TRUE(fs::exists(second + "/keys/" + main.key_id + ".json"));
  auto relock = cli(second, {"--json", "cloudkey", "devices", "unlock", "--code",
                             code(second, staff_phone_, "authorise")});
  EXPECT_EQ(relock.exit_code, 3) << relock;
  auto restored = sign(second, main.cert_id, "s2.der");
  EXPECT_NE(restored.exit_code, 0) << restored;
  EXPECT_FALSE(fs::exists(f("s2.der")) && verified("s2.der"));
  auto refresh = cli(second, {"--json", "cloudkey", "refresh"});
  EXPECT_EQ(refresh.exit_code, 3) << refresh;
  // The main device still signs.
  ASSERT_EQ(sign(staff_dev_, main.cert_id, "s3.der").exit_code, 0);
  EXPECT_TRUE(verified("s3.der"));

  // Recorded: the usage log shows the deletion; the transparency log has the device change.
  auto log = cli(staff_dev_, {"--json", "cloudkey", "log"});
  ASSERT_EQ(log.exit_code, 0) << log;
  // (The restored device got no challenge: its attempts never reach a step.)
  int removals = 0;
  const nlohmann::json log_items = log.json()["items"];
  for (const auto& e : log_items) {
    if (e["device_id"] == sec && e["operation"] == "remove_device" && e["result"] == "ok") ++removals;
  }
  EXPECT_EQ(removals, 1) << log;
  auto types = ledger_types(staff_dev_);
  int deletions = 0;
  for (const auto& [t, n] : types) {
    if (t.rfind("cloudkey.device.delete", 0) == 0) deletions += n;
  }
  EXPECT_EQ(deletions, 1);

  // The holder's last device: deleted too. The key is retired, the certificate revoked, and the
  // staff number downloads a new certificate on a new set-up.
  sh("cp -a " + staff_dev_ + " " + staff_dev_ + "-backup");
  auto del_main = cli(staff_dev_, {"--json", "cloudkey", "delete", "--code", code(staff_dev_, staff_phone_, "authorise")});
  ASSERT_EQ(del_main.exit_code, 0) << del_main;
  EXPECT_EQ(del_main.json()["key_retired"], true) << del_main;
  EXPECT_NE(openssl_verify(main.pem, true).find("revoked"), std::string::npos) << openssl_verify(main.pem, true);
  sh("rm -rf " + staff_dev_ + " && cp -a " + staff_dev_ + "-backup " + staff_dev_);
  auto after = sign(staff_dev_, main.cert_id, "s4.der");
  EXPECT_NE(after.exit_code, 0) << after;
  sh("rm -f " + staff_dev_ + "/keys/" + main.key_id + ".json");
  Downloaded fresh = setup(staff_dev_, "D2001");
  ASSERT_FALSE(fresh.key_id.empty());
  EXPECT_NE(fresh.key_id, main.key_id);
  EXPECT_NE(openssl_verify(fresh.pem, true).find(": OK"), std::string::npos) << openssl_verify(fresh.pem, true);
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  ASSERT_EQ(sign(staff_dev_, fresh.cert_id, "s5.der").exit_code, 0);
  EXPECT_TRUE(verified("s5.der"));
}

// 续期 on the server and 下拉刷新 on the device: a tenant admin (and an operator) renews the
// staff certificate on the same two-party key; the device's refresh replaces its copy, the new
// certificate verifies with openssl and a signature made after the refresh verifies under it.
// Refused: another tenant's admin and the staff member renewing, another staff member refreshing,
// a key not on the device.
TEST_P(CloudKeyE2eTest, RenewedOnTheServerThenRefreshedOnTheDeviceAndSignsUnderTheNewCertificate) {
  SetUpTenant();
  const std::string staff_id = apply_and_approve(staff_dev_, "D3001", "周医生", "11010519491231002X");
  Downloaded main = setup(staff_dev_, "D3001");
  ASSERT_FALSE(main.cert_id.empty());

  // Refused, nothing changed: another tenant's admin, and the staff member themself.
  const std::string other_tenant = create_tenant("另一家医院", false);
  const std::string other_admin = dev("ck-renew-other-admin");
  register_cli(other_admin, other_phone_);
  add_admin(other_tenant, other_phone_);
  auto foreign = cli(other_admin, {"--json", "cloudkey", "staff", "renew", tenant_, staff_id});
  EXPECT_EQ(foreign.exit_code, 3) << foreign;
  auto self = cli(staff_dev_, {"--json", "cloudkey", "staff", "renew", tenant_, staff_id});
  EXPECT_EQ(self.exit_code, 3) << self;
  auto not_operator = call("POST", "/api/v1/operator/cloudkey/tenants/" + tenant_ + "/staff/" + staff_id + "/renewal",
                           session_token(admin_dev_), {{"request_id", "r0"}});
  EXPECT_EQ(not_operator.status / 100, 4) << not_operator.body;
  auto same = cli(staff_dev_, {"--json", "cloudkey", "refresh"});
  ASSERT_EQ(same.exit_code, 0) << same;
  EXPECT_EQ(same.json()["changed"], false) << same;
  EXPECT_EQ(same.json()["certificate_id"], main.cert_id) << same;

  // The tenant admin renews; a retry with the same request id renews once.
  auto rn = cli(admin_dev_, {"--json", "cloudkey", "staff", "renew", tenant_, staff_id, "--request-id", "r1"});
  ASSERT_EQ(rn.exit_code, 0) << rn;
  const std::string renewed = rn.json().value("certificate_id", "");
  EXPECT_NE(renewed, main.cert_id);
  EXPECT_EQ(rn.json()["previous_certificate_id"], main.cert_id) << rn;
  auto retry = cli(admin_dev_, {"--json", "cloudkey", "staff", "renew", tenant_, staff_id, "--request-id", "r1"});
  ASSERT_EQ(retry.exit_code, 0) << retry;
  EXPECT_EQ(retry.json()["certificate_id"], renewed) << retry;
  // An operator renews too (same key again).
  auto op = call("POST", "/api/v1/operator/cloudkey/tenants/" + tenant_ + "/staff/" + staff_id + "/renewal",
                 operator_token_, {{"request_id", "op1"}});
  ASSERT_EQ(op.status, 201) << op.body;
  const std::string latest = op.json().value("certificate_id", "");
  EXPECT_NE(latest, renewed);
  EXPECT_NE(openssl_verify(main.pem, true).find("revoked"), std::string::npos);

  // Refused: another staff member asks for this key's certificate; a key not on this device.
  auto stranger = call("GET", "/api/v1/cloudkey/keys/" + main.key_id + "/certificate?device=" + main.device_id,
                       session_token(other_admin));
  EXPECT_EQ(stranger.status, 404) << stranger.body;
  auto elsewhere = cli(other_admin, {"--json", "cloudkey", "refresh", "--key", main.key_id});
  EXPECT_NE(elsewhere.exit_code, 0) << elsewhere;

  // Pull to refresh: the device's copy becomes the latest certificate of the same key.
  auto rf = cli(staff_dev_, {"--json", "cloudkey", "refresh", "--out", f("renewed.pem")});
  ASSERT_EQ(rf.exit_code, 0) << rf;
  EXPECT_EQ(rf.json()["changed"], true) << rf;
  EXPECT_EQ(rf.json()["certificate_id"], latest) << rf;
  const std::string pem = read_all(f("renewed.pem"));
  EXPECT_NE(openssl_verify(pem, true).find(": OK"), std::string::npos) << openssl_verify(pem, true);
  const std::string key_file = read_all(staff_dev_ + "/keys/" + main.key_id + ".json");
  EXPECT_NE(key_file.find(latest), std::string::npos) << key_file;
  auto list = cli(staff_dev_, {"--json", "cloudkey", "list"});
  ASSERT_EQ(list.exit_code, 0) << list;
  ASSERT_EQ(list.json()["items"].size(), 1u) << list;
  EXPECT_EQ(list.json()["items"][0]["certificate_id"], latest) << list;

  // A signature made after the refresh verifies under the new certificate.
  put(f("renewed-leaf.pem"), pem);
  sh("openssl x509 -in " + f("renewed-leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  put(f("msg.txt"), "续期后的处方 2026-0003");
  auto s = cli(staff_dev_, {"--json", "cert", "sign", "--in", f("msg.txt"), "--sm2-id", "", "--out", f("r.der")},
               {pin_});
  ASSERT_EQ(s.exit_code, 0) << s;
  EXPECT_TRUE(verified("r.der"));
  auto by_cert = sign(staff_dev_, latest, "r2.der");
  ASSERT_EQ(by_cert.exit_code, 0) << by_cert;
  EXPECT_TRUE(verified("r2.der"));

  // Recorded in the holder's transparency log entries.
  auto types = ledger_types(staff_dev_);
  int renewals = 0;
  for (const auto& [t, n] : types) {
    if (t.rfind("cloudkey.staff.renew", 0) == 0) renewals += n;
  }
  EXPECT_EQ(renewals, 2);
}

// 切换证书: two staff certificates (two tenants) on one device; `use` picks the one that signs.
TEST_P(CloudKeyE2eTest, TwoStaffCertificatesOnOneDeviceAndUsePicksTheOneThatSigns) {
  SetUpTenant();
  const std::string second_tenant = create_tenant("示例市第二人民医院", false);
  add_admin(second_tenant, admin_phone_);
  for (auto [t, no] : {std::pair{tenant_, "A100"}, std::pair{second_tenant, "B200"}}) {
    auto add = cli(admin_dev_, {"--json", "cloudkey", "staff", "add", t, "--staff-no", no, "--name", "吴医生",
                                "--phone", staff_phone_, "--id-number", "11010519491231002X"});
    ASSERT_EQ(add.exit_code, 0) << add;
  }
  Downloaded a = setup(staff_dev_, "A100");
  ASSERT_FALSE(a.key_id.empty());
  put(f("a.pem"), a.pem);
  auto qr_b = cli(admin_dev_, {"--json", "cloudkey", "qr", second_tenant});
  ASSERT_EQ(qr_b.exit_code, 0) << qr_b;
  auto b_setup = cli(staff_dev_, {"--json", "cloudkey", "setup", "--qr", qr_b.json()["payload"], "--staff-no", "B200"},
                     {pin_, pin_});
  ASSERT_EQ(b_setup.exit_code, 0) << b_setup;
  const std::string b_key = b_setup.json()["key_id"];
  put(f("b.pem"), b_setup.json()["certificate"].value("certificate_pem", ""));
  sh("openssl x509 -in " + f("a.pem") + " -pubkey -noout > " + f("pub-a.pem"));
  sh("openssl x509 -in " + f("b.pem") + " -pubkey -noout > " + f("pub-b.pem"));
  put(f("msg.txt"), "会诊意见 2026-0004");
  auto verifies_under = [&](const std::string& pub, const std::string& sig) {
    return sh("openssl dgst -sm3 -verify " + f(pub) + " -signature " + f(sig) + " " + f("msg.txt"))
               .find("Verified OK") != std::string::npos;
  };
  auto sign_chosen = [&](const std::string& out) {
    return cli(staff_dev_, {"--json", "cert", "sign", "--in", f("msg.txt"), "--sm2-id", "", "--out", f(out)}, {pin_});
  };

  // Both listed, none chosen: signing without naming one is refused.
  auto list = cli(staff_dev_, {"--json", "cloudkey", "list"});
  ASSERT_EQ(list.exit_code, 0) << list;
  ASSERT_EQ(list.json()["items"].size(), 2u) << list;
  const nlohmann::json before = list.json()["items"];
  for (const auto& it : before) EXPECT_EQ(it["chosen"], false) << list;
  EXPECT_NE(sign_chosen("none.der").exit_code, 0);
  // A certificate not on this device cannot be chosen.
  auto unknown = cli(staff_dev_, {"--json", "cloudkey", "use", "Z999"});
  EXPECT_NE(unknown.exit_code, 0) << unknown;

  auto use_b = cli(staff_dev_, {"--json", "cloudkey", "use", "B200"});
  ASSERT_EQ(use_b.exit_code, 0) << use_b;
  EXPECT_EQ(use_b.json()["key_id"], b_key) << use_b;
  list = cli(staff_dev_, {"--json", "cloudkey", "list"});
  const nlohmann::json chosen = list.json()["items"];
  for (const auto& it : chosen) EXPECT_EQ(it["chosen"], it["key_id"] == b_key) << list;
  ASSERT_EQ(sign_chosen("b.der").exit_code, 0);
  EXPECT_TRUE(verifies_under("pub-b.pem", "b.der"));
  EXPECT_FALSE(verifies_under("pub-a.pem", "b.der"));

  auto use_a = cli(staff_dev_, {"--json", "cloudkey", "use", a.key_id});
  ASSERT_EQ(use_a.exit_code, 0) << use_a;
  ASSERT_EQ(sign_chosen("a.der").exit_code, 0);
  EXPECT_TRUE(verifies_under("pub-a.pem", "a.der"));
  EXPECT_FALSE(verifies_under("pub-b.pem", "a.der"));
  // Commands of the cloud key act on the chosen one too.
  auto devs = cli(staff_dev_, {"--json", "cloudkey", "devices", "list"});
  ASSERT_EQ(devs.exit_code, 0) << devs;
  EXPECT_EQ(status_of(devs.json()["items"], a.device_id), "active") << devs;
}

CERTSEAL_INSTANTIATE_API_ENGINES(CloudKeyE2eTest);

}  // namespace
}  // namespace certseal::testing

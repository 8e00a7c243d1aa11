// SPEC §3 real-name verification, agreements, uploads and the personal-information lists, over
// HTTP against a real certseald on both engines, with the refusals.
#include "base/encoding.h"
#include "support/api_fixture.h"
#include "support/image_bombs.h"

namespace certseal::testing {
namespace {

// A valid 1x1 red PNG (made with zlib and the PNG chunk CRCs, checked by `file`).

class IdentityApiTest : public ApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    return {"--set", "uploads.max_image_bytes=4096"};
  }

 protected:
  nlohmann::json submission(const std::string& token, const std::string& phone,
                            const std::string& id_number = "11010519491231002X") {
    std::string front = upload_blob(token, "id_card_front", kPng).json()["id"];
    std::string back = upload_blob(token, "id_card_back", kPng).json()["id"];
    call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "verify_person"}});
    return {{"agreement_version", 1}, {"name", "张三"}, {"id_number", id_number},
            {"code", code_for(phone)}, {"id_card_front", front}, {"id_card_back", back}};
  }
};

TEST_P(IdentityApiTest, UploadsAreCheckedByContentAndSize) {
  std::string t = register_person("13900000201", "Str0ng!pw");
  auto ok = upload_blob(t, "id_card_front", kPng);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.json()["media_type"], "image/png");
  EXPECT_EQ(ok.json()["size"], 70);
  auto text = upload_blob(t, "id_card_front", "this is really a text file", "image/jpeg");
  EXPECT_EQ(text.status, 415);
  EXPECT_EQ(text.json()["code"], "unsupported_file_type");
  auto lying = upload_blob(t, "id_card_front", kPng, "image/jpeg");  // PNG declared as JPEG
  EXPECT_EQ(lying.status, 415);
  auto big = upload_blob(t, "id_card_front", kPng + std::string(5000, '\0'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.json()["code"], "blob_too_large");
  EXPECT_EQ(upload_blob(t, "selfie", kPng).json()["code"], "invalid_purpose");
  // The owner can read it back; another person cannot even see it exists.
  std::string id = ok.json()["id"];
  auto mine = call("GET", "/api/v1/blobs/" + id, t);
  EXPECT_EQ(mine.status, 200);
  EXPECT_EQ(mine.body, kPng);
  std::string other = register_person("13900000202", "Str0ng!pw");
  EXPECT_EQ(call("GET", "/api/v1/blobs/" + id, other).status, 404);
}

TEST_P(IdentityApiTest, AgreementsAreVersionedAndAcceptancesRecorded) {
  auto a = http_->get("/api/v1/agreements/privacy");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.json()["version"], 1);
  EXPECT_EQ(http_->get("/api/v1/agreements/nonsense").status, 404);
  std::string t = register_person("13900000203", "Str0ng!pw");
  EXPECT_EQ(call("POST", "/api/v1/agreement-acceptances", t, {{"kind", "privacy"}, {"version", 0}}).status, 409);
  auto acc = call("POST", "/api/v1/agreement-acceptances", t, {{"kind", "privacy"}, {"version", 1}});
  ASSERT_EQ(acc.status, 201) << acc.body;
  auto list = call("GET", "/api/v1/account/agreement-acceptances", t).json()["items"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["kind"], "privacy");
  EXPECT_FALSE(list[0]["accepted_at"].get<std::string>().empty());
}

TEST_P(IdentityApiTest, DevVerifierVerifiesWellFormedSubmissions) {
  const std::string phone = "13900000204";
  std::string t = register_person(phone, "Str0ng!pw");
  EXPECT_EQ(call("GET", "/api/v1/person-verifications/current", t).status, 404);

  auto bad_digit = submission(t, phone, "110105194912310021");
  auto r1 = call("POST", "/api/v1/person-verifications", t, bad_digit);
  EXPECT_EQ(r1.status, 400);
  EXPECT_EQ(r1.json()["code"], "invalid_id_check_digit");
  EXPECT_EQ(r1.json()["errors"][0]["field"], "id_number");

  auto old_agreement = submission(t, phone);
  old_agreement["agreement_version"] = 0;
  EXPECT_EQ(call("POST", "/api/v1/person-verifications", t, old_agreement).json()["code"], "agreement_outdated");

  auto wrong_code = submission(t, phone);
  wrong_code["code"] = wrong_code["code"] == "000000" ? "111111" : "000000";
  EXPECT_EQ(call("POST", "/api/v1/person-verifications", t, wrong_code).json()["code"], "sms_code_wrong");

  // Someone else's photo may not be used.
  std::string other = register_person("13900000205", "Str0ng!pw");
  auto theirs = submission(t, phone);
  theirs["id_card_front"] = upload_blob(other, "id_card_front", kPng).json()["id"];
  EXPECT_EQ(call("POST", "/api/v1/person-verifications", t, theirs).json()["code"], "bad_upload");
  EXPECT_EQ(call("GET", "/api/v1/person-verifications/current", t).status, 404);  // nothing stored

  auto ok = call("POST", "/api/v1/person-verifications", t, submission(t, phone));
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.json()["status"], "verified");
  EXPECT_EQ(ok.json()["verified_by"], "dev");
  EXPECT_EQ(ok.json()["id_number"], "110***********002X");  // masked for the user
  auto again = call("POST", "/api/v1/person-verifications", t, submission(t, phone));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.json()["code"], "already_verified");

  auto pi = call("GET", "/api/v1/account/personal-information", t).json()["items"];
  bool photos = false;
  for (auto& i : pi) {
    if (i["category"] == "id_card_photos") photos = i["records"].get<int>() >= 2;
  }
  EXPECT_TRUE(photos) << pi.dump();
  auto third = call("GET", "/api/v1/account/third-parties", t).json()["items"];
  ASSERT_FALSE(third.empty());
  EXPECT_NE(third[0]["name"].get<std::string>().find("development identity verifier"), std::string::npos);
}

TEST_P(IdentityApiTest, AuthorisationMatrix) {
  std::string user = register_person("13900000206", "Str0ng!pw");
  struct Ep {
    const char* method;
    std::string path;
    nlohmann::json body;
    bool operator_only;
  };
  const std::vector<Ep> eps = {
      {"GET", "/api/v1/account/personal-information", nullptr, false},
      {"GET", "/api/v1/account/third-parties", nullptr, false},
      {"POST", "/api/v1/agreement-acceptances", {{"kind", "privacy"}, {"version", 1}}, false},
      {"GET", "/api/v1/account/agreement-acceptances", nullptr, false},
      {"GET", "/api/v1/blobs/x", nullptr, false},
      {"POST", "/api/v1/person-verifications", {{"name", "x"}}, false},
      {"GET", "/api/v1/person-verifications/current", nullptr, false},
      {"GET", "/api/v1/operator/person-verifications", nullptr, true},
      {"GET", "/api/v1/operator/person-verifications/x", nullptr, true},
      {"POST", "/api/v1/operator/person-verifications/x/approval", nullptr, true},
      {"POST", "/api/v1/operator/person-verifications/x/rejection", {{"reason", "r"}}, true},
      {"GET", "/api/v1/operator/blobs/x", nullptr, true},
  };
  for (const auto& e : eps) {
    SCOPED_TRACE(std::string(e.method) + " " + e.path);
    EXPECT_EQ(call(e.method, e.path, "", e.body).status, 401);
    if (e.operator_only) {
      EXPECT_EQ(call(e.method, e.path, user, e.body).status, 403);
    }
  }
  EXPECT_EQ(upload_blob("", "id_card_front", kPng).status, 401);
}

// With identity.verifier = manual every submission waits for an operator.
class ManualReviewTest : public IdentityApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    return {"--set", "identity.verifier=manual"};
  }
};

TEST_P(ManualReviewTest, OperatorReviewsWithImagesAndReasons) {
  const std::string phone = "13900000207";
  std::string t = register_person(phone, "Str0ng!pw");
  auto sub = call("POST", "/api/v1/person-verifications", t, submission(t, phone));
  ASSERT_EQ(sub.status, 201) << sub.body;
  EXPECT_EQ(sub.json()["status"], "pending");
  EXPECT_EQ(call("POST", "/api/v1/person-verifications", t, submission(t, phone)).json()["code"],
            "verification_pending");

  auto pending = call("GET", "/api/v1/operator/person-verifications?status=pending", operator_token_);
  ASSERT_EQ(pending.status, 200);
  ASSERT_EQ(pending.json()["items"].size(), 1u);
  auto v = pending.json()["items"][0];
  EXPECT_EQ(v["id_number"], "11010519491231002X");  // operators see it in full
  auto img = call("GET", "/api/v1/operator/blobs/" + v["id_card_front"].get<std::string>(), operator_token_);
  EXPECT_EQ(img.status, 200);
  EXPECT_EQ(img.header("content-type"), "image/png");
  EXPECT_EQ(img.body, kPng);

  std::string id = v["id"];
  EXPECT_EQ(call("POST", "/api/v1/operator/person-verifications/" + id + "/rejection", operator_token_,
                 {{"reason", ""}}).status, 400);
  auto rej = call("POST", "/api/v1/operator/person-verifications/" + id + "/rejection", operator_token_,
                  {{"reason", "照片模糊 (photo unreadable)"}});
  ASSERT_EQ(rej.status, 200) << rej.body;
  EXPECT_EQ(call("POST", "/api/v1/operator/person-verifications/" + id + "/approval", operator_token_).status, 409);
  auto mine = call("GET", "/api/v1/person-verifications/current", t).json();
  EXPECT_EQ(mine["status"], "rejected");
  EXPECT_EQ(mine["reason"], "照片模糊 (photo unreadable)");

  auto sub2 = call("POST", "/api/v1/person-verifications", t, submission(t, phone));
  ASSERT_EQ(sub2.status, 201);
  std::string id2 = sub2.json()["id"];
  auto ok = call("POST", "/api/v1/operator/person-verifications/" + id2 + "/approval", operator_token_);
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.json()["verified_by"], "operator");
  EXPECT_EQ(call("GET", "/api/v1/person-verifications/current", t).json()["status"], "verified");
  EXPECT_EQ(call("POST", "/api/v1/operator/person-verifications/nope/approval", operator_token_).status, 404);
  // Both decisions reached the person's in-app notification list, newest first.
  auto notes = call("GET", "/api/v1/notifications", t).json();
  ASSERT_EQ(notes["items"].size(), 2u);
  EXPECT_EQ(notes["items"][0]["kind"], "person_verified");
  EXPECT_EQ(notes["items"][1]["kind"], "person_rejected");
  EXPECT_NE(std::string(notes["items"][1]["text"]).find("照片模糊"), std::string::npos);
}

// Security review M8 over HTTP: an endless uploader meets a 429 problem+json while another account
// still uploads; an image declaring 30000×30000 pixels is refused from its header.
class UploadLimitsApiTest : public ApiTest {
 public:
  std::vector<std::string> extra_server_args() const override { return {"--set", "uploads.daily_count=3"}; }

 protected:
  HttpResponse upload_blob(const std::string& token, const std::string& bytes) {
    return http_->request("POST", "/api/v1/blobs?purpose=licence", bytes,
                          {"Authorization: Bearer " + token, "Content-Type: image/png"});
  }
};

TEST_P(UploadLimitsApiTest, EndlessUploaderGetsA429WhileAnotherAccountStillUploads) {
  std::string mallory = register_person("13900000211", "Str0ng!pw");
  std::string alice = register_person("13900000212", "Str0ng!pw");
  auto bomb = upload_blob(mallory, to_string(png_bomb(30000, 30000)));
  EXPECT_EQ(bomb.status, 400) << bomb.body;
  EXPECT_EQ(bomb.json()["code"], "image_too_large");
  for (int i = 0; i < 3; ++i) {
    auto r = upload_blob(mallory, to_string(png_bomb(20 + static_cast<std::uint32_t>(i), 20)));
    ASSERT_EQ(r.status, 201) << r.body;
  }
  auto refused = upload_blob(mallory, to_string(png_bomb(40, 20)));
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("content-type"), "application/problem+json");
  EXPECT_EQ(refused.json()["code"], "upload_quota_exceeded");
  EXPECT_NE(refused.json()["detail"].get<std::string>().find("24 小时内最多上传 3 个文件"), std::string::npos)
      << refused.body;
  EXPECT_EQ(upload_blob(alice, to_string(png_bomb(40, 20))).status, 201);
}

CERTSEAL_INSTANTIATE_API_ENGINES(IdentityApiTest);
CERTSEAL_INSTANTIATE_API_ENGINES(UploadLimitsApiTest);
CERTSEAL_INSTANTIATE_API_ENGINES(ManualReviewTest);

}  // namespace
}  // namespace certseal::testing

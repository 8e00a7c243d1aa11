// OrderService: the application form (申请表): rendered, e-mailed, signed online or uploaded signed (order_service.h).
#include "service/order/order_service.h"

#include <algorithm>
#include <chrono>
#include <regex>

#include "base/id.h"
#include "store/page_query.h"
#include "docsign/text_render.h"
#include "service/notify/inbox.h"
#include "service/ca/ca_service.h"
#include "service/order/order_internal.h"

namespace certseal::service {
using namespace order_internal;

// ---- Application form ------------------------------------------------------------------------

Result<std::vector<docsign::TextBlock>> OrderService::form_blocks(store::Tx& tx, const OrderView& o) {
  CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {o.account_id}));
  CS_ASSIGN(auto pl, tx.query_one("SELECT name FROM trading_platforms WHERE id = ?", {o.platform_id}));
  CS_ASSIGN(auto pr, tx.query_one("SELECT algorithm, validity_years, ca_id, seal_type FROM products WHERE id = ?",
                                  {o.product_id}));
  std::string org_line;
  if (!o.org_id.empty()) {
    CS_ASSIGN(auto org, tx.query_one("SELECT name, credit_code FROM organisations WHERE id = ?", {o.org_id}));
    if (org) org_line = "申请单位 Organisation: " + org->text("name") + "（" + org->text("credit_code") + "）";
  }
  using docsign::TextBlock;
  std::vector<TextBlock> blocks = {
      {"数字证书申请表", 20, true, TextBlock::Align::kCenter, 6},
      {"Digital certificate application form", 11, false, TextBlock::Align::kCenter, 18},
      {"订单 Order: " + o.id, 10, false, TextBlock::Align::kLeft, 6},
      {"产品 Product: " + o.product_name + " × " + std::to_string(o.quantity), 11, false, TextBlock::Align::kLeft, 4},
      {"证书类型 Type: " + std::string(o.cert_type == "organisation" ? "机构证书 organisation" : "个人证书 personal"),
       11, false, TextBlock::Align::kLeft, 4},
      {"算法 Algorithm: " + (pr ? pr->text("algorithm") : std::string()) + "    有效期 Validity: " +
           std::to_string(pr ? pr->integer("validity_years") : 0) + " 年 years    CA: " +
           (pr ? pr->text("ca_id") : std::string()),
       11, false, TextBlock::Align::kLeft, 4},
      {"交易平台 Trading platform: " + (pl ? pl->text("name") : std::string()), 11, false, TextBlock::Align::kLeft, 4},
      {org_line, 11, false, TextBlock::Align::kLeft, 4},
      {"申请人手机 Applicant phone: " + (a ? a->text("phone") : std::string()) + "    身份 Role: " + o.applicant_role,
       11, false, TextBlock::Align::kLeft, 4},
      {"本人确认以上信息真实有效，并同意数字证书服务协议。 I confirm the above and accept the certificate agreement.", 10,
       false, TextBlock::Align::kLeft, 24},
      {"申请人签字 Applicant's signature:", 11, true, TextBlock::Align::kLeft, 8},
  };
  std::erase_if(blocks, [](const TextBlock& b) { return b.text.empty(); });
  return blocks;
}

Result<Bytes> OrderService::render_form(const std::string& order_id, const std::vector<docsign::TextBlock>& blocks,
                                        BytesView signature_png) {
  const docsign::PdfInfo info{"Application form " + order_id, "CertSeal"};
  if (opts_.form_renderer) return opts_.form_renderer(blocks, info, signature_png);
  return docsign::render_pdf_with_image(blocks, info, signature_png, 60, opts_.image_limits);
}

namespace {
bool same_text(const std::vector<docsign::TextBlock>& a, const std::vector<docsign::TextBlock>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const docsign::TextBlock& x, const docsign::TextBlock& y) { return x.text == y.text; });
}
Status form_open(const OrderView& o) {
  if (o.status != "created") return failed_precondition("order_not_created", "the form is signed before authorisation");
  if (o.form_status == "signed") return failed_precondition("form_already_signed", "the application form is signed");
  return {};
}
Error form_moved() {
  return conflict("order_changed", "the order changed while its form was being drawn; please try again");
}
}  // namespace

Result<BlobInfo> OrderService::own_blob(const std::string& account_id, const std::string& blob_id,
                                        const std::string& purpose, const std::string& media_type) {
  auto b = blobs_.info(blob_id);
  if (!b || b->owner_account_id != account_id || b->purpose != purpose || b->media_type != media_type) {
    return invalid_argument("invalid_blob_id", "an upload of yours with purpose " + purpose + " (" + media_type + ")")
        .with_field("blob_id", "invalid", "an upload with purpose " + purpose);
  }
  return std::move(b).value();
}

Result<OrderView> OrderService::email_form(const std::string& account_id, const std::string& order_id,
                                           const std::string& email) {
  CS_TRY(validate_email(email));
  // Read, draw with no transaction open, then write what was drawn if nothing moved meanwhile.
  CS_ASSIGN(auto blocks, db_.read_value<std::vector<docsign::TextBlock>>(
                             [&](store::Tx& tx) -> Result<std::vector<docsign::TextBlock>> {
                               CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
                               CS_TRY(form_open(o));
                               return form_blocks(tx, o);
                             }));
  CS_ASSIGN(Bytes pdf, render_form(order_id, blocks, {}));
  OrderView out;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    CS_TRY(form_open(o));
    CS_ASSIGN(auto now_blocks, form_blocks(tx, o));
    if (!same_text(now_blocks, blocks)) return form_moved();
    std::string now = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("DELETE FROM application_forms WHERE order_id = ? AND status = 'sent'", {order_id}));
    CS_TRY(tx.exec("INSERT INTO application_forms (order_id, method, email, status, pdf, created_at) "
                   "VALUES (?, 'email', ?, 'sent', ?, ?)",
                   {order_id, email, pdf, now}));
    CS_ASSIGN(out, load_own(tx, account_id, order_id));
    return {};
  }));
  CS_TRY(email_.send({email, "CertSeal 数字证书申请表 / application form",
                      "请打印附件中的申请表，签字后拍照或扫描上传。 Print the attached form, sign it and upload it back.",
                      "application-form-" + order_id + ".pdf", "application/pdf", pdf}));
  return out;
}

Result<OrderView> OrderService::upload_signed_form(const std::string& account_id, const std::string& order_id,
                                                   const std::string& blob_id) {
  CS_ASSIGN(auto b, own_blob(account_id, blob_id, "application_form", "application/pdf"));
  return db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    if (o.status != "created") return failed_precondition("order_not_created", "the form is signed before authorisation");
    CS_ASSIGN(auto n, tx.exec("UPDATE application_forms SET status = 'signed', signed_blob_id = ?, signed_at = ? "
                              "WHERE order_id = ? AND method = 'email' AND status = 'sent'",
                              {b.id, format_rfc3339(clock_.now()), order_id}));
    if (n == 0) return failed_precondition("form_not_sent", "ask for the form by e-mail first");
    return load_own(tx, account_id, order_id);
  });
}

Result<OrderView> OrderService::sign_form_online(const std::string& account_id, const std::string& order_id,
                                                 const std::string& signature_blob_id) {
  CS_ASSIGN(auto b, own_blob(account_id, signature_blob_id, "handwritten_signature", "image/png"));
  CS_ASSIGN(auto png, blobs_.read(b));
  // Read, draw with no transaction open (Cairo decodes the PNG), then write what was drawn if
  // nothing moved meanwhile.
  CS_ASSIGN(auto blocks, db_.read_value<std::vector<docsign::TextBlock>>(
                             [&](store::Tx& tx) -> Result<std::vector<docsign::TextBlock>> {
                               CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
                               CS_TRY(form_open(o));
                               return form_blocks(tx, o);
                             }));
  CS_ASSIGN(Bytes pdf, render_form(order_id, blocks, png));
  return db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    CS_TRY(form_open(o));
    CS_ASSIGN(auto now_blocks, form_blocks(tx, o));
    if (!same_text(now_blocks, blocks)) return form_moved();
    std::string now = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("DELETE FROM application_forms WHERE order_id = ? AND status = 'sent'", {order_id}));
    CS_TRY(tx.exec("INSERT INTO application_forms (order_id, method, status, signature_blob_id, pdf, created_at, "
                   "signed_at) VALUES (?, 'online', 'signed', ?, ?, ?, ?)",
                   {order_id, b.id, pdf, now, now}));
    return load_own(tx, account_id, order_id);
  });
}

Result<Bytes> OrderService::form_pdf(const std::string& account_id, const std::string& order_id) {
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_TRY(load_own(tx, account_id, order_id));
    CS_ASSIGN(auto r, tx.query_one("SELECT pdf FROM application_forms WHERE order_id = ?", {order_id}));
    if (!r) return not_found("form_not_found", "this order has no application form yet");
    return r->blob("pdf");
  });
}

}  // namespace certseal::service

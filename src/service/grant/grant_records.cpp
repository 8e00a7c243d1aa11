// GrantService: usage records of the organisation's grants (grant_service.h; docs/GRANTS.md
// "Records").
#include "service/grant/grant_service.h"

#include "service/grant/grant_internal.h"

namespace certseal::service {
using namespace grant_internal;

Result<std::vector<GrantUseView>> GrantService::uses(const std::string& account_id,
                                                     const std::string& org_id,
                                                     const RecordFilter& f) {
  return db_.read_value<std::vector<GrantUseView>>(
      [&](store::Tx& tx) -> Result<std::vector<GrantUseView>> {
        CS_ASSIGN(auto role, role_in(tx, account_id, org_id));
        if (role.empty())
          return permission_denied("not_an_active_member", "only members see usage records");
        std::string sql =
            "SELECT u.*, a.phone AS member_phone, (SELECT pv.name FROM person_verifications pv "
            "WHERE pv.account_id = "
            "u.account_id AND pv.status = 'verified' ORDER BY pv.created_at DESC LIMIT 1) AS "
            "member_name "
            "FROM grant_uses u JOIN accounts a ON a.id = u.account_id WHERE u.org_id = ?";
        store::Params p{org_id};
        add_record_filter(sql, p, {"u", "result", "at", true}, !is_admin_role(role), account_id, f);
        sql += " ORDER BY u.at DESC, u.id DESC LIMIT 5000";
        CS_ASSIGN(auto rows, tx.query(sql, p));
        std::vector<GrantUseView> out;
        for (const auto& r : rows) {
          GrantUseView u;
          u.id = r.text("id");
          u.grant_id = r.text("grant_id");
          u.org_id = r.text("org_id");
          u.certificate_id = r.text("certificate_id");
          u.seal_id = r.text("seal_id");
          u.account_id = r.text("account_id");
          u.member_phone = r.text("member_phone");
          u.member_name = r.text("member_name");
          u.device_id = r.text("device_id");
          u.platform_id = r.text("platform_id");
          u.scene = r.text("scene");
          u.scene_request_id = r.text("scene_request_id");
          u.operation = r.text("operation");
          u.purpose = r.text("purpose");
          u.digest = r.text("digest");
          u.document_hash = r.text("document_hash");
          u.result = r.text("result");
          u.at = r.text("at");
          out.push_back(std::move(u));
        }
        return out;
      });
}

}  // namespace certseal::service

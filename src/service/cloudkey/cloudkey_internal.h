// Row mapping and checks shared by the files that implement CloudKeyService
// (tenants.cpp, staff.cpp, setup.cpp, devices.cpp). Internal to src/service/cloudkey.
#pragma once

#include <string>
#include <string_view>

#include "service/cloudkey/cloudkey_service.h"

namespace certseal::service::cloudkey_internal {

Error tenant_not_found();
Error staff_not_found();
Error key_not_found();
Error field_error(const std::string& field, const std::string& msg);

TenantView tenant_from_row(const store::Row& r);
StaffView staff_from_row(const store::Row& r);
Status validate_settings(const TenantSettings& s);
// staff_no: 1 to 32 of [A-Za-z0-9-_]; name, phone and ID number as accounts check them.
Status validate_staff(const StaffInput& in);

}  // namespace certseal::service::cloudkey_internal

// CAs, certificates, CRLs, OCSP, time stamps. Versions 200-299.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> pki_migrations() { return {}; }

}  // namespace certseal::store

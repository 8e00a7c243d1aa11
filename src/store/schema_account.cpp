// Accounts, identities, organisations. Versions 100-199.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> account_migrations() { return {}; }

}  // namespace certseal::store

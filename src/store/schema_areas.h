// Per-area migration lists (see schema.cpp for the version ranges).
#pragma once

#include <vector>

#include "store/migrate.h"

namespace certseal::store {

std::vector<Migration> platform_migrations();  // schema_platform.cpp, versions 1-99
std::vector<Migration> account_migrations();   // schema_account.cpp, versions 100-199
std::vector<Migration> pki_migrations();       // schema_pki.cpp, versions 200-299
std::vector<Migration> order_migrations();     // schema_orders.cpp, versions 300-399
std::vector<Migration> shield_migrations();    // schema_shield.cpp, versions 400-499
std::vector<Migration> scene_migrations();     // schema_scenes.cpp, versions 500-599
std::vector<Migration> ledger_migrations();    // schema_ledger.cpp, versions 600-699
std::vector<Migration> seal_migrations();      // schema_seal.cpp, versions 700-799
std::vector<Migration> grant_migrations();     // schema_grants.cpp, versions 800-899
std::vector<Migration> docsign_migrations();   // schema_docsign.cpp, versions 900-999
std::vector<Migration> pc_migrations();        // schema_pc.cpp, versions 1000-1099
std::vector<Migration> cloudkey_migrations();  // schema_cloudkey.cpp, versions 1100-1199
std::vector<Migration> webauthn_migrations();  // schema_webauthn.cpp, versions 1200-1299
std::vector<Migration> console_migrations();   // schema_console.cpp, versions 1600-1699
std::vector<Migration> applink_migrations();   // schema_applinks.cpp, versions 1800-1899
std::vector<Migration> app_migrations();       // schema_app.cpp, versions 1700-1799
std::vector<Migration> letter_migrations();    // schema_letters.cpp, versions 1400-1499
std::vector<Migration> client_migrations();    // schema_client.cpp, versions 1500-1599
std::vector<Migration> formsign_migrations();  // schema_formsign.cpp, versions 1900-1909

}  // namespace certseal::store

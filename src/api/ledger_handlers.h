// The transparency log over HTTP (docs/LEDGER.md). Publication exactly as C2SP tlog-tiles lays
// it out, at the root prefix /ledger: the checkpoint (mutable, text/plain, cached one second)
// and tiles and entry bundles (immutable, cached a year). Proofs, keys and a user's own entries
// under /api/v1 for clients that do not read tiles. 503 "ledger_unavailable" when not wired.
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> get_ledger_checkpoint(RequestContext& ctx);   // GET /ledger/checkpoint
Result<Reply> get_ledger_tile(RequestContext& ctx);         // GET /ledger/tile/{path+}
Result<Reply> get_ledger_keys(RequestContext& ctx);         // GET /api/v1/ledger/keys
Result<Reply> get_ledger_inclusion(RequestContext& ctx);    // GET /api/v1/ledger/proofs/inclusion?index=&size=
Result<Reply> get_ledger_consistency(RequestContext& ctx);  // GET /api/v1/ledger/proofs/consistency?old=&new=
Result<Reply> get_account_ledger_entries(RequestContext& ctx);  // GET /api/v1/account/ledger-entries
Result<Reply> op_post_ledger_checkpoint(RequestContext& ctx);   // POST /api/v1/operator/ledger/checkpoints

}  // namespace certseal::api

// Private to src/seal: one drawing function per seal shape. Each draws in mm on a canvas whose
// size is the seal's size (seal_picture.h has the rules); the template is already checked.
#pragma once

#include <cairo.h>

#include "base/result.h"
#include "seal/seal_picture.h"

namespace certseal::seal::internal {

// Round seals (official, contract, finance): diameter d.
Status draw_round(cairo_t* cr, const SealTemplate& t, double d, const DrawParts& parts);
// The invoice seal: an oval w × h.
Status draw_oval(cairo_t* cr, const SealTemplate& t, double w, double h, const DrawParts& parts);
// Square name seals (legal representative, personal): side s.
Status draw_name_square(cairo_t* cr, const SealTemplate& t, double s, const DrawParts& parts);
// The square finance seal: side s.
Status draw_finance_square(cairo_t* cr, const SealTemplate& t, double s, const DrawParts& parts);

// The purpose line of a contract or finance seal: the template's text or the kind's default.
std::string purpose_text(const SealTemplate& t);
// The characters of a square name seal: the name and its suffix (印 / 之印).
std::string square_text(const SealTemplate& t);

}  // namespace certseal::seal::internal

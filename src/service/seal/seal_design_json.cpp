// JSON of seal designs and seal views (seal_design_json.h).
#include "service/seal/seal_design_json.h"

namespace certseal::service {
namespace {

Error bad_field(const std::string& field, const std::string& what) {
  return invalid_argument("invalid_field", field + " " + what).with_field(field, "invalid", what);
}

Result<std::string> str(const nlohmann::json& j, const char* field, std::size_t max = 200) {
  if (!j.contains(field) || j[field].is_null()) return std::string();
  if (!j[field].is_string()) return bad_field(std::string("design.") + field, "must be a string");
  std::string s = j[field].get<std::string>();
  if (s.size() > max) return bad_field(std::string("design.") + field, "is too long");
  return s;
}

Result<double> num(const nlohmann::json& j, const char* field, double fallback) {
  if (!j.contains(field) || j[field].is_null()) return fallback;
  if (!j[field].is_number()) return bad_field(std::string("design.") + field, "must be a number");
  return j[field].get<double>();
}

}  // namespace

Result<SealDesign> design_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return bad_field("design", "must be an object");
  SealDesign d;
  CS_ASSIGN(d.method, str(j, "method", 20));
  if (d.method == "template") {
    seal::SealTemplate& t = d.tmpl;
    CS_ASSIGN(t.name, str(j, "name", 400));
    CS_ASSIGN(t.horizontal_text, str(j, "horizontal_text", 200));
    CS_ASSIGN(t.code, str(j, "code", 40));
    CS_ASSIGN(t.tax_number, str(j, "tax_number", 40));
    CS_ASSIGN(t.size_mm, num(j, "size_mm", 0));
    CS_ASSIGN(std::string shape, str(j, "shape", 20));
    CS_ASSIGN(std::string carving, str(j, "carving", 20));
    CS_ASSIGN(std::string suffix, str(j, "suffix", 20));
    if (shape == "square") {
      t.shape = seal::SealShape::kSquare;
    } else if (shape == "round") {
      t.shape = seal::SealShape::kRound;
    } else if (!shape.empty()) {
      return bad_field("design.shape", "must be round or square");
    }
    if (carving == "yin") {
      t.carving = seal::Carving::kYin;
    } else if (!carving.empty() && carving != "yang") {
      return bad_field("design.carving", "must be yang or yin");
    }
    if (suffix == "yin") {
      t.suffix = seal::NameSuffix::kYin;
    } else if (suffix == "zhiyin") {
      t.suffix = seal::NameSuffix::kZhiYin;
    } else if (!suffix.empty()) {
      return bad_field("design.suffix", "must be empty, yin or zhiyin");
    }
    return d;
  }
  if (d.method == "photo") {
    CS_ASSIGN(d.photo_blob_id, str(j, "blob_id", 100));
    if (d.photo_blob_id.empty()) return bad_field("design.blob_id", "is required for a photo (upload with purpose seal_photo)");
    CS_ASSIGN(d.photo_size_mm, num(j, "size_mm", 0));
    return d;
  }
  if (d.method != "drawing") return bad_field("design.method", "must be template, drawing or photo");
  CS_ASSIGN(d.signature.px_per_mm, num(j, "px_per_mm", 6));
  CS_ASSIGN(d.signature.pen_mm, num(j, "pen_mm", 0.9));
  if (!j.contains("strokes") || !j["strokes"].is_array()) return bad_field("design.strokes", "must be an array");
  for (const auto& s : j["strokes"]) {
    if (!s.is_array()) return bad_field("design.strokes", "each stroke must be an array of points");
    seal::Stroke stroke;
    for (const auto& p : s) {
      if (!p.is_array() || p.size() < 2 || p.size() > 4) {
        return bad_field("design.strokes", "each point must be [x, y] or [x, y, pressure, t_ms]");
      }
      for (const auto& v : p) {
        if (!v.is_number()) return bad_field("design.strokes", "point values must be numbers");
      }
      seal::StrokePoint pt;
      pt.x = p[0].get<double>();
      pt.y = p[1].get<double>();
      if (p.size() > 2) pt.pressure = p[2].get<double>();
      if (p.size() > 3) pt.t_ms = p[3].get<double>();
      stroke.points.push_back(pt);
      if (stroke.points.size() > 20000) return bad_field("design.strokes", "has too many points");
    }
    d.signature.strokes.push_back(std::move(stroke));
    if (d.signature.strokes.size() > 200) return bad_field("design.strokes", "has too many strokes");
  }
  return d;
}

nlohmann::json design_to_json(const SealDesign& d) {
  if (d.method == "photo") return {{"method", "photo"}, {"blob_id", d.photo_blob_id}, {"size_mm", d.photo_size_mm}};
  if (d.method == "drawing") {
    nlohmann::json strokes = nlohmann::json::array();
    for (const auto& s : d.signature.strokes) {
      nlohmann::json pts = nlohmann::json::array();
      for (const auto& p : s.points) pts.push_back({p.x, p.y, p.pressure, p.t_ms});
      strokes.push_back(pts);
    }
    return {{"method", "drawing"}, {"px_per_mm", d.signature.px_per_mm}, {"pen_mm", d.signature.pen_mm},
            {"strokes", strokes}};
  }
  const seal::SealTemplate& t = d.tmpl;
  nlohmann::json j = {{"method", "template"}, {"name", t.name}};
  if (!t.horizontal_text.empty()) j["horizontal_text"] = t.horizontal_text;
  if (!t.code.empty()) j["code"] = t.code;
  if (!t.tax_number.empty()) j["tax_number"] = t.tax_number;
  if (t.size_mm > 0) j["size_mm"] = t.size_mm;
  if (t.shape == seal::SealShape::kSquare) j["shape"] = "square";
  if (t.carving == seal::Carving::kYin) j["carving"] = "yin";
  if (t.suffix == seal::NameSuffix::kYin) j["suffix"] = "yin";
  if (t.suffix == seal::NameSuffix::kZhiYin) j["suffix"] = "zhiyin";
  return j;
}

nlohmann::json seal_view_json(const SealView& v) {
  auto opt = [](const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); };
  return {{"id", v.id},
          {"certificate_id", opt(v.certificate_id)},
          {"order_id", opt(v.order_id)},
          {"maker_id", v.maker_id},
          {"kind", v.kind},
          {"method", v.method},
          {"name", v.name},
          {"status", v.status},
          {"reason", opt(v.reason)},
          {"reviewed_by", opt(v.reviewed_by)},
          {"reviewed_at", opt(v.reviewed_at)},
          {"width_mm", v.width_mm},
          {"height_mm", v.height_mm},
          {"has_seal_data", v.has_seal_data},
          {"created_at", v.created_at},
          {"updated_at", v.updated_at}};
}

}  // namespace certseal::service

// `certseal seal …` (cmd_seal.h).
#include "client/cmd_seal.h"

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "base/encoding.h"
#include "client/messages.h"

namespace certseal::client {
namespace {

using json = nlohmann::json;

// Bilingual one-liners of this family (Chinese by default, English with --lang en).
std::string say(const char* zh, const char* en) { return language() == Language::kEn ? en : zh; }

Error usage(std::string msg) { return invalid_argument("usage", std::move(msg)); }

// The options of every seal command, kept alive for the action (CLI11 writes into them).
struct SealArgs {
  std::string id, cert, kind, maker, name, text, code, tax, shape, carving, suffix, strokes, format = "png", out,
      purpose, photo;
  double size = 0, dpi = 150;
};

Result<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return usage(say("无法读取文件：", "cannot read file: ") + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Status write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) return usage(say("无法写入文件：", "cannot write file: ") + path);
  return ok_status();
}

// The design from the options: --photo FILE (uploaded first), --strokes FILE (drawing points,
// JSON) or the template options.
Result<json> design(const SealArgs& a, Http& http) {
  if (!a.photo.empty()) {
    CS_ASSIGN(std::string bytes, read_file(a.photo));
    const bool png = bytes.size() > 4 && bytes.compare(1, 3, "PNG") == 0;
    CS_ASSIGN(json up, http.upload("/api/v1/blobs?purpose=seal_photo", bytes, png ? "image/png" : "image/jpeg"));
    json d = {{"method", "photo"}, {"blob_id", up.value("id", "")}};
    if (a.size > 0) d["size_mm"] = a.size;
    return d;
  }
  if (!a.strokes.empty()) {
    CS_ASSIGN(std::string text, read_file(a.strokes));
    json j = json::parse(text, nullptr, false);
    // Either {"strokes": [...], "px_per_mm": ...} or the bare list of strokes.
    if (j.is_array()) j = json{{"strokes", j}};
    if (!j.is_object() || !j.contains("strokes")) {
      return usage(say("--strokes 文件须为笔画的 JSON：[[[x, y, 压力, 毫秒], …], …]",
                       "--strokes must be JSON strokes: [[[x, y, pressure, ms], ...], ...]"));
    }
    j["method"] = "drawing";
    return j;
  }
  json d = {{"method", "template"}, {"name", a.name}};
  if (!a.text.empty()) d["horizontal_text"] = a.text;
  if (!a.code.empty()) d["code"] = a.code;
  if (!a.tax.empty()) d["tax_number"] = a.tax;
  if (a.size > 0) d["size_mm"] = a.size;
  if (!a.shape.empty()) d["shape"] = a.shape;
  if (!a.carving.empty()) d["carving"] = a.carving;
  if (!a.suffix.empty()) d["suffix"] = a.suffix;
  return d;
}

void add_design_options(CLI::App* c, SealArgs& a) {
  c->add_option("--name", a.name, "name on the seal: the organisation's or the person's (template)");
  c->add_option("--text", a.text, "official seal: horizontal text under the star; contract/finance: the purpose");
  c->add_option("--code", a.code, "13-digit seal code on the lower arc (round seals)");
  c->add_option("--tax-number", a.tax, "invoice seal: taxpayer number");
  c->add_option("--size", a.size, "round: 40 or 42 mm; square: side in mm");
  c->add_option("--shape", a.shape, "finance seal: round (default) or square");
  c->add_option("--carving", a.carving, "square seals: yang (red characters, default) or yin (white characters)");
  c->add_option("--suffix", a.suffix, "square seals: yin (印) or zhiyin (之印)");
  c->add_option("--strokes", a.strokes, "handwritten: JSON file of strokes [[[x, y, pressure, ms], ...], ...]");
  c->add_option("--photo", a.photo, "a photo (JPEG or PNG) of the paper seal, cleaned by the server (印章优化)");
}

void print_seal(const json& s) {
  std::cout << s.value("id", "") << "  " << s.value("kind", "") << "  " << s.value("status", "") << "  "
            << s.value("name", "") << "  " << say("证书 ", "certificate ") << s.value("certificate_id", "") << "\n";
}

Result<std::string> raw_ok(Http& h, const std::string& method, const std::string& path, const std::string& body) {
  CS_ASSIGN(HttpResponse r, h.raw(method, path, body, body.empty() ? "" : "application/json"));
  if (r.status < 200 || r.status > 299) return error_from_response(r);
  return r.body;
}

}  // namespace

void add_seal_commands(CLI::App& app, SealCliHooks hooks, std::function<Result<json>()>& action) {
  auto a = std::make_shared<SealArgs>();
  auto h = std::make_shared<SealCliHooks>(std::move(hooks));
  auto sub = [](CLI::App* parent, const char* name, const char* desc) {
    CLI::App* s = parent->add_subcommand(name, desc);
    s->fallthrough();
    return s;
  };
  CLI::App* seal = sub(&app, "seal", "electronic seals (电子印章): one per certificate");
  seal->require_subcommand(1);

  CLI::App* preview = sub(seal, "preview", "render a seal design to a file without storing it (live preview)");
  preview->add_option("--kind", a->kind, "official, contract, finance, invoice, legal_representative, personal_square, handwritten")
      ->required();
  add_design_options(preview, *a);
  preview->add_option("--format", a->format, "png (default) or svg");
  preview->add_option("--dpi", a->dpi, "PNG resolution, 72..600 (default 150)");
  preview->add_option("--out", a->out, "file to write")->required();
  preview->callback([&action, a, h] {
    action = [a, h]() -> Result<json> {
      CS_ASSIGN(Http * http, h->api());
      CS_ASSIGN(json d, design(*a, *http));
      json body = {{"kind", a->kind}, {"design", d}, {"dpi", a->dpi}, {"format", a->format}};
      CS_ASSIGN(std::string image, raw_ok(*http, "POST", "/api/v1/seal-previews", body.dump()));
      CS_TRY(write_file(a->out, image));
      if (!h->json_output()) std::cout << say("预览已写入 ", "preview written to ") << a->out << "\n";
      return json{{"file", a->out}, {"bytes", image.size()}};
    };
  });

  CLI::App* make = sub(seal, "make", "make the seal of a certificate (template or drawing); an operator reviews it");
  make->add_option("--cert", a->cert, "certificate id");
  make->add_option("--order", a->id, "while buying: the certificate order (the seal is bound to its certificate once installed)");
  make->add_option("--kind", a->kind, "official, contract, finance, invoice, legal_representative, personal_square, handwritten")
      ->required();
  make->add_option("--maker", a->maker, "seal maker id (default: the order's)");
  add_design_options(make, *a);
  make->callback([&action, a, h] {
    action = [a, h]() -> Result<json> {
      CS_ASSIGN(Http * http, h->api());
      CS_ASSIGN(json d, design(*a, *http));
      if (a->cert.empty() == a->id.empty()) return usage(say("须指定 --cert 或 --order 之一", "give --cert or --order"));
      json body = {{"kind", a->kind}, {"design", d}};
      if (!a->cert.empty()) body["certificate_id"] = a->cert;
      if (!a->id.empty()) body["order_id"] = a->id;
      if (!a->maker.empty()) body["maker_id"] = a->maker;
      CS_ASSIGN(json s, http->call("POST", "/api/v1/seals", body));
      if (!h->json_output()) {
        print_seal(s);
        std::cout << say("印章已提交，等待审核。", "The seal waits for review.") << "\n";
      }
      return s;
    };
  });

  sub(seal, "list", "my seals")->callback([&action, h] {
    action = [h]() -> Result<json> {
      CS_ASSIGN(Http * http, h->api());
      CS_ASSIGN(json r, http->call("GET", "/api/v1/seals"));
      if (!h->json_output()) {
        for (const auto& s : r.value("items", json::array())) print_seal(s);
      }
      return r;
    };
  });

  CLI::App* show = sub(seal, "show", "one seal with its records (made, reviewed, used, ...)");
  show->add_option("seal_id", a->id)->required();
  show->callback([&action, a, h] {
    action = [a, h]() -> Result<json> {
      CS_ASSIGN(Http * http, h->api());
      CS_ASSIGN(json s, http->call("GET", "/api/v1/seals/" + a->id));
      CS_ASSIGN(json ev, http->call("GET", "/api/v1/seals/" + a->id + "/events"));
      if (!h->json_output()) {
        print_seal(s);
        if (s.contains("reason") && s["reason"].is_string()) std::cout << say("原因：", "reason: ") << s["reason"].get<std::string>() << "\n";
        for (const auto& e : ev.value("items", json::array())) {
          std::cout << "  " << e.value("at", "") << "  " << e.value("action", "") << "  " << e.value("detail", "") << "\n";
        }
      }
      s["events"] = ev.value("items", json::array());
      return s;
    };
  });

  CLI::App* replace = sub(seal, "replace", "replace the picture (reviewed again)");
  replace->add_option("seal_id", a->id)->required();
  add_design_options(replace, *a);
  replace->callback([&action, a, h] {
    action = [a, h]() -> Result<json> {
      CS_ASSIGN(Http * http, h->api());
      CS_ASSIGN(json d, design(*a, *http));
      CS_ASSIGN(json s, http->call("PUT", "/api/v1/seals/" + a->id + "/picture", json{{"design", d}}));
      if (!h->json_output()) print_seal(s);
      return s;
    };
  });

  CLI::App* del = sub(seal, "delete", "delete a seal (the certificate may then carry a new one)");
  del->add_option("seal_id", a->id)->required();
  del->callback([&action, a, h] {
    action = [a, h]() -> Result<json> {
      CS_ASSIGN(Http * http, h->api());
      CS_TRY(http->call("DELETE", "/api/v1/seals/" + a->id));
      if (!h->json_output()) std::cout << say("印章已删除。", "Seal deleted.") << "\n";
      return json{{"deleted", a->id}};
    };
  });

  CLI::App* pic = sub(seal, "picture", "save the seal's picture");
  pic->add_option("seal_id", a->id)->required();
  pic->add_option("--format", a->format, "png (default) or svg");
  pic->add_option("--out", a->out, "file to write")->required();
  pic->callback([&action, a, h] {
    action = [a, h]() -> Result<json> {
      if (a->format != "png" && a->format != "svg") return usage(say("--format 须为 png 或 svg", "--format must be png or svg"));
      CS_ASSIGN(Http * http, h->api());
      CS_ASSIGN(std::string image, raw_ok(*http, "GET", "/api/v1/seals/" + a->id + "/picture?format=" + a->format, ""));
      CS_TRY(write_file(a->out, image));
      if (!h->json_output()) std::cout << a->out << "\n";
      return json{{"file", a->out}, {"bytes", image.size()}};
    };
  });

  CLI::App* data = sub(seal, "data", "save the GB/T 38540 seal data (DER) of a reviewed seal");
  data->add_option("seal_id", a->id)->required();
  data->add_option("--out", a->out, "file to write")->required();
  data->callback([&action, a, h] {
    action = [a, h]() -> Result<json> {
      CS_ASSIGN(Http * http, h->api());
      CS_ASSIGN(std::string der, raw_ok(*http, "GET", "/api/v1/seals/" + a->id + "/seal-data", ""));
      CS_TRY(write_file(a->out, der));
      if (!h->json_output()) std::cout << a->out << "\n";
      return json{{"file", a->out}, {"bytes", der.size()}};
    };
  });

  CLI::App* use = sub(seal, "use", "use a seal (recorded); prints what was used");
  use->add_option("seal_id", a->id)->required();
  use->add_option("--purpose", a->purpose, "what for, e.g. sign:contract.pdf")->required();
  use->add_option("--out", a->out, "also write the picture (PNG) here");
  use->callback([&action, a, h] {
    action = [a, h]() -> Result<json> {
      CS_ASSIGN(Http * http, h->api());
      CS_ASSIGN(json r, http->call("POST", "/api/v1/seals/" + a->id + "/uses", json{{"purpose", a->purpose}}));
      if (!a->out.empty()) {
        auto png = base64_decode(r.value("picture_png", ""));
        if (!png) return unavailable("bad_answer", "picture_png is not base64");
        CS_TRY(write_file(a->out, std::string(as_chars(*png))));
      }
      if (!h->json_output()) std::cout << say("已使用印章 ", "used seal ") << a->id << "\n";
      return json{{"seal", r.value("seal", json::object())}, {"seal_data_bytes", r.value("seal_data", "").size()}};
    };
  });
}

}  // namespace certseal::client

// CMS from relying parties and users: SignedData checked by pki/cms_signed.h verify (with the
// content enclosed, or detached and given) and EnvelopedData read by parse_enveloped and opened
// with a key from the input; for key agreement (kari, RFC 5753) the key field is the shared
// secret Z and kari_unwrap (X9.63 KDF over the SharedInfo the envelope names, then the AES or
// 3DES key unwrap of the encrypted key) runs first. AuthEnvelopedData (RFC 5083, AES-GCM) goes
// through the same reader: GCMParameters, authAttrs (the GCM additional data) and mac, then
// open_content's tag check. Differential: a SignedData ours accepts must be the same message to
// OpenSSL (fuzz/signed_data_oracle.h), and an EnvelopedData or AuthEnvelopedData ours reads must
// parse as CMS in OpenSSL (d2i_CMS_ContentInfo, for the RFC 5652 form); an AuthEnvelopedData's
// mac is as long as its aes-ICVlen (12..16).
#include <openssl/cms.h>

#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "fuzz/signed_data_oracle.h"
#include "pki/cms_enveloped.h"
#include "pki/cms_signed.h"

using namespace certseal;

namespace {

bool openssl_reads_cms(BytesView der) {
  const unsigned char* p = der.data();
  CMS_ContentInfo* ci = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size()));
  if (!ci) return false;
  CMS_ContentInfo_free(ci);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  const std::uint8_t mode = in.byte();
  if (mode & 1) {
    BytesView key = in.field();
    BytesView der = in.rest();
    auto env = pki::cms::parse_enveloped(der);
    if (!env) return 0;
    (void)fuzz::touch(env->encrypted_key);
    (void)fuzz::touch(env->iv);
    if (env->authenticated) {
      if (env->cipher != pki::cms::ContentCipher::kAesGcm || env->iv.size() != 12 || env->icv_len < 12 ||
          env->icv_len > 16 || env->mac.size() != env->icv_len) {
        std::abort();
      }
      (void)fuzz::touch(env->mac);
      (void)fuzz::touch(env->aad);
    } else if (env->cipher == pki::cms::ContentCipher::kAesGcm) {
      std::abort();  // GCM outside AuthEnvelopedData has no tag
    }
    if (env->key_transport == pki::cms::KeyTransport::kEcdh) {
      (void)fuzz::touch(env->originator_point);
      (void)fuzz::touch(env->ukm);
      auto cek = pki::cms::kari_unwrap(*env, key);
      if (!cek) return 0;
      if (cek->size() != env->content_key_size) std::abort();
      auto opened = pki::cms::open_content(*env, BytesView(cek->data(), cek->size()));
      if (opened) (void)fuzz::touch(*opened);
      if (!openssl_reads_cms(der)) std::abort();
      return 0;
    }
    auto opened = pki::cms::open_content(*env, key);
    if (opened) (void)fuzz::touch(*opened);
    if (env->form == pki::cms::Form::kRfc5652 && !openssl_reads_cms(der)) std::abort();
  } else {
    BytesView detached = in.field();
    BytesView der = in.rest();
    auto v = (mode & 2) ? pki::cms::verify(der, detached) : pki::cms::verify(der);
    if (!v) return 0;
    (void)fuzz::touch(v->content);
    (void)fuzz::touch(v->signed_attributes);
    fuzz::check_signed_data_against_openssl(der, (mode & 2) ? std::optional<BytesView>(detached) : std::nullopt, *v);
  }
  return 0;
}

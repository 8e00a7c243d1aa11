// Private to src/seal: the C structures and OpenSSL ASN.1 items of the SESeal formats
// (seseal.h has the ASN.1). Lists are OPENSSL_STACK of the element type; use the item functions
// (ASN1_item_new/free/d2i/i2d with ASN1_ITEM_rptr) on them.
#pragma once

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/stack.h>

extern "C" {

struct SesHeader {
  ASN1_IA5STRING* id;
  ASN1_INTEGER* version;
  ASN1_IA5STRING* vid;
};
struct SesPicture {
  ASN1_IA5STRING* type;
  ASN1_OCTET_STRING* data;
  ASN1_INTEGER* width;
  ASN1_INTEGER* height;
};
struct SesExtData {
  ASN1_OBJECT* id;
  ASN1_BOOLEAN critical;  // DEFAULT FALSE
  ASN1_OCTET_STRING* value;
};
struct SesCertDigest {
  ASN1_PRINTABLESTRING* type;
  ASN1_OCTET_STRING* value;
};
struct SesPropertyV4 {
  ASN1_INTEGER* type;
  ASN1_UTF8STRING* name;
  ASN1_INTEGER* cert_list_type;
  OPENSSL_STACK* cert_list;  // of ASN1_TYPE: OCTET STRING (type 1) or SEQUENCE CertDigestObj (type 2)
  ASN1_GENERALIZEDTIME* create_date;
  ASN1_GENERALIZEDTIME* valid_start;
  ASN1_GENERALIZEDTIME* valid_end;
};
struct SesPropertyV1 {
  ASN1_INTEGER* type;
  ASN1_UTF8STRING* name;
  OPENSSL_STACK* cert_list;  // of ASN1_OCTET_STRING
  ASN1_TIME* create_date;    // UTCTime in GM/T 0031; GeneralizedTime accepted
  ASN1_TIME* valid_start;
  ASN1_TIME* valid_end;
};
struct SesSealInfoV4 {
  SesHeader* header;
  ASN1_IA5STRING* es_id;
  SesPropertyV4* property;
  SesPicture* picture;
  OPENSSL_STACK* ext_datas;  // of SesExtData, OPTIONAL
};
struct SesSealInfoV1 {
  SesHeader* header;
  ASN1_IA5STRING* es_id;
  SesPropertyV1* property;
  SesPicture* picture;
  OPENSSL_STACK* ext_datas;
};
struct SesSealV4 {
  SesSealInfoV4* info;
  ASN1_OCTET_STRING* cert;
  ASN1_OBJECT* sign_alg;
  ASN1_BIT_STRING* signed_value;
};
struct SesSignInfoV1 {
  ASN1_OCTET_STRING* cert;
  ASN1_OBJECT* sign_alg;
  ASN1_BIT_STRING* sign_data;
};
struct SesSealV1 {
  SesSealInfoV1* info;
  SesSignInfoV1* sign_info;
};
// SEQUENCE { eSealInfo, cert, signAlgID }: what the v4 maker signs.
struct SesTbsV4 {
  SesSealInfoV4* info;
  ASN1_OCTET_STRING* cert;
  ASN1_OBJECT* sign_alg;
};

DECLARE_ASN1_ITEM(SesHeader)
DECLARE_ASN1_ITEM(SesPicture)
DECLARE_ASN1_ITEM(SesExtData)
DECLARE_ASN1_ITEM(SesCertDigest)
DECLARE_ASN1_ITEM(SesPropertyV4)
DECLARE_ASN1_ITEM(SesPropertyV1)
DECLARE_ASN1_ITEM(SesSealInfoV4)
DECLARE_ASN1_ITEM(SesSealInfoV1)
DECLARE_ASN1_ITEM(SesSealV4)
DECLARE_ASN1_ITEM(SesSignInfoV1)
DECLARE_ASN1_ITEM(SesSealV1)
DECLARE_ASN1_ITEM(SesTbsV4)

}  // extern "C"

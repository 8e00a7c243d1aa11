// The OpenSSL ASN.1 templates of the SESeal formats (seseal_asn1_internal.h, seseal.h).
#include "seal/seseal_asn1_internal.h"

// OpenSSL's template macros are C: they cast in C style.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

extern "C" {

ASN1_SEQUENCE(SesHeader) = {
    ASN1_SIMPLE(SesHeader, id, ASN1_IA5STRING),
    ASN1_SIMPLE(SesHeader, version, ASN1_INTEGER),
    ASN1_SIMPLE(SesHeader, vid, ASN1_IA5STRING),
} ASN1_SEQUENCE_END(SesHeader)

ASN1_SEQUENCE(SesPicture) = {
    ASN1_SIMPLE(SesPicture, type, ASN1_IA5STRING),
    ASN1_SIMPLE(SesPicture, data, ASN1_OCTET_STRING),
    ASN1_SIMPLE(SesPicture, width, ASN1_INTEGER),
    ASN1_SIMPLE(SesPicture, height, ASN1_INTEGER),
} ASN1_SEQUENCE_END(SesPicture)

ASN1_SEQUENCE(SesExtData) = {
    ASN1_SIMPLE(SesExtData, id, ASN1_OBJECT),
    ASN1_OPT(SesExtData, critical, ASN1_FBOOLEAN),
    ASN1_SIMPLE(SesExtData, value, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(SesExtData)

ASN1_SEQUENCE(SesCertDigest) = {
    ASN1_SIMPLE(SesCertDigest, type, ASN1_PRINTABLESTRING),
    ASN1_SIMPLE(SesCertDigest, value, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(SesCertDigest)

ASN1_SEQUENCE(SesPropertyV4) = {
    ASN1_SIMPLE(SesPropertyV4, type, ASN1_INTEGER),
    ASN1_SIMPLE(SesPropertyV4, name, ASN1_UTF8STRING),
    ASN1_SIMPLE(SesPropertyV4, cert_list_type, ASN1_INTEGER),
    ASN1_SEQUENCE_OF(SesPropertyV4, cert_list, ASN1_ANY),
    ASN1_SIMPLE(SesPropertyV4, create_date, ASN1_GENERALIZEDTIME),
    ASN1_SIMPLE(SesPropertyV4, valid_start, ASN1_GENERALIZEDTIME),
    ASN1_SIMPLE(SesPropertyV4, valid_end, ASN1_GENERALIZEDTIME),
} ASN1_SEQUENCE_END(SesPropertyV4)

ASN1_SEQUENCE(SesPropertyV1) = {
    ASN1_SIMPLE(SesPropertyV1, type, ASN1_INTEGER),
    ASN1_SIMPLE(SesPropertyV1, name, ASN1_UTF8STRING),
    ASN1_SEQUENCE_OF(SesPropertyV1, cert_list, ASN1_OCTET_STRING),
    ASN1_SIMPLE(SesPropertyV1, create_date, ASN1_TIME),
    ASN1_SIMPLE(SesPropertyV1, valid_start, ASN1_TIME),
    ASN1_SIMPLE(SesPropertyV1, valid_end, ASN1_TIME),
} ASN1_SEQUENCE_END(SesPropertyV1)

ASN1_SEQUENCE(SesSealInfoV4) = {
    ASN1_SIMPLE(SesSealInfoV4, header, SesHeader),
    ASN1_SIMPLE(SesSealInfoV4, es_id, ASN1_IA5STRING),
    ASN1_SIMPLE(SesSealInfoV4, property, SesPropertyV4),
    ASN1_SIMPLE(SesSealInfoV4, picture, SesPicture),
    ASN1_SEQUENCE_OF_OPT(SesSealInfoV4, ext_datas, SesExtData),
} ASN1_SEQUENCE_END(SesSealInfoV4)

ASN1_SEQUENCE(SesSealInfoV1) = {
    ASN1_SIMPLE(SesSealInfoV1, header, SesHeader),
    ASN1_SIMPLE(SesSealInfoV1, es_id, ASN1_IA5STRING),
    ASN1_SIMPLE(SesSealInfoV1, property, SesPropertyV1),
    ASN1_SIMPLE(SesSealInfoV1, picture, SesPicture),
    ASN1_SEQUENCE_OF_OPT(SesSealInfoV1, ext_datas, SesExtData),
} ASN1_SEQUENCE_END(SesSealInfoV1)

ASN1_SEQUENCE(SesSealV4) = {
    ASN1_SIMPLE(SesSealV4, info, SesSealInfoV4),
    ASN1_SIMPLE(SesSealV4, cert, ASN1_OCTET_STRING),
    ASN1_SIMPLE(SesSealV4, sign_alg, ASN1_OBJECT),
    ASN1_SIMPLE(SesSealV4, signed_value, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(SesSealV4)

ASN1_SEQUENCE(SesSignInfoV1) = {
    ASN1_SIMPLE(SesSignInfoV1, cert, ASN1_OCTET_STRING),
    ASN1_SIMPLE(SesSignInfoV1, sign_alg, ASN1_OBJECT),
    ASN1_SIMPLE(SesSignInfoV1, sign_data, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(SesSignInfoV1)

ASN1_SEQUENCE(SesSealV1) = {
    ASN1_SIMPLE(SesSealV1, info, SesSealInfoV1),
    ASN1_SIMPLE(SesSealV1, sign_info, SesSignInfoV1),
} ASN1_SEQUENCE_END(SesSealV1)

ASN1_SEQUENCE(SesTbsV4) = {
    ASN1_SIMPLE(SesTbsV4, info, SesSealInfoV4),
    ASN1_SIMPLE(SesTbsV4, cert, ASN1_OCTET_STRING),
    ASN1_SIMPLE(SesTbsV4, sign_alg, ASN1_OBJECT),
} ASN1_SEQUENCE_END(SesTbsV4)

}  // extern "C"

#pragma GCC diagnostic pop

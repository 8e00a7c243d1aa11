# cmake -DIN=file -DOUT=file.cpp -P EmbedText.cmake
# Writes a translation unit defining certseal::api::openapi_document() returning IN's bytes.
file(READ ${IN} content HEX)
string(LENGTH "${content}" hexlen)
math(EXPR n "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," body "${content}")
file(WRITE ${OUT} "// Generated from docs/openapi.yaml. Do not edit.\n#include <string_view>\nnamespace certseal::api {\nstatic const char kDoc[] = {${body} 0};\nstd::string_view openapi_document() { return {kDoc, ${n}}; }\n}  // namespace certseal::api\n")

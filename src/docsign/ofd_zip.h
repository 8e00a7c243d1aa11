// The small part of ZIP (APPNOTE 6.3) that OFD packages (GB/T 33190 §7.5) use: reading a package
// that a stranger sent, and writing our own. Only what OFD needs: one disk, no ZIP64, no
// encryption, entries stored (method 0) or deflated (method 8).
//
// Reading treats every byte as hostile. It refuses (kInvalidArgument):
//   zip_malformed   no end-of-central-directory record, a record that runs past the file or past
//                   the central directory, a local header that does not match its central entry,
//                   entries whose data overlap (the overlapping-entry zip bomb), a CRC-32 or size
//                   that does not match what inflating gives, trailing bytes after the comment;
//   zip_unsupported encryption, ZIP64, several disks, a method other than stored/deflated;
//   zip_bad_name    an empty name, a name longer than limits.max_name_bytes, a NUL or a
//                   backslash, an absolute name ("/x", "C:x"), an empty, "." or ".." segment;
//   zip_duplicate   two entries with the same name (also differing only in ASCII case: unzip on a
//                   case-insensitive file system would let the second replace the first);
//   zip_too_large   more than limits.max_entries entries, an entry larger than
//                   limits.max_entry_bytes, all entries together larger than
//                   limits.max_total_bytes, or an entry that inflates more than
//                   limits.max_ratio times its compressed size (a zip bomb). Inflating stops at the
//                   declared size: a stream that would give more is refused, never buffered.
// Directory entries (names ending in "/", empty) are checked like the others and then left out.
//
// Writing deflates each entry (stored when that is smaller), with a fixed DOS time so that the
// same files always give the same bytes.
//
// Contract: pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::docsign {

struct ZipLimits {
  std::size_t max_entries = 4096;
  std::size_t max_name_bytes = 512;
  std::uint64_t max_entry_bytes = 32ull << 20;
  std::uint64_t max_total_bytes = 64ull << 20;  // a request holds at most this much inflated
  std::uint64_t max_ratio = 200;  // an entry under 64 KiB inflated is never refused for its ratio
};

struct ZipEntry {
  std::string name;
  Bytes data;
};

// Reads every file entry, in the order of the central directory.
Result<std::vector<ZipEntry>> read_zip(BytesView zip, const ZipLimits& limits = {});

// Writes the entries in the given order. Errors: zip_bad_name (as above), zip_duplicate,
// zip_too_large (more than 65535 entries or an entry of 4 GiB or more).
Result<Bytes> write_zip(const std::vector<ZipEntry>& entries);

// The name check read_zip applies (exposed for the OFD path resolver).
Status check_zip_name(std::string_view name, std::size_t max_name_bytes = 512);

}  // namespace certseal::docsign

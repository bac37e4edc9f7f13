// fw.zip on disk (libzip). Layout as Mongoose OS's create_fw writes it:
// NAME-VERSION/manifest.json and NAME-VERSION/<part src>. Readers locate the
// manifest by its base name, so a bundle zipped without the directory loads too.
#include <zip.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>

#include "cli.h"
#include "internal.h"
#include "mos/fwbundle/bundle.h"

namespace mos::fwbundle {
namespace {

using mos::cli::UserError;

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

std::string zip_error_text(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string s = zip_error_strerror(&e);
  zip_error_fini(&e);
  return s;
}

// A zip whose end-of-central-directory record is gone (a cut download or copy)
// still starts with a local file header "PK\3\4": tell that apart from a file
// that never was a zip.
bool starts_like_zip(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char sig[4] = {};
  return f.read(sig, 4) && std::memcmp(sig, "PK\x03\x04", 4) == 0;
}

std::string read_entry(zip_t* z, zip_uint64_t index, const std::string& path, const std::string& entry,
                       uint64_t limit) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(z, index, 0, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0) {
    throw UserError(path + ": cannot read " + entry + ": " + zip_strerror(z), "rebuild the bundle: mos build --arch sim");
  }
  if (st.size > limit) {
    throw UserError(path + ": " + entry + " is " + std::to_string(st.size) + " bytes, more than a bundle holds",
                    "rebuild the bundle: mos build --arch sim");
  }
  zip_file_t* f = zip_fopen_index(z, index, 0);
  if (f == nullptr) {
    throw UserError(path + ": cannot open " + entry + ": " + zip_strerror(z), "rebuild the bundle: mos build --arch sim");
  }
  std::string data(static_cast<size_t>(st.size), '\0');
  zip_int64_t n = data.empty() ? 0 : zip_fread(f, data.data(), data.size());
  // libzip checks the entry's CRC-32 at EOF: read once more to reach it.
  char extra = 0;
  zip_int64_t more = n < 0 ? -1 : zip_fread(f, &extra, 1);
  std::string err = (n < 0 || more != 0) ? zip_file_strerror(f) : "";
  zip_fclose(f);
  if (n < 0 || more != 0 || static_cast<zip_uint64_t>(n) != st.size) {
    throw UserError(path + ": " + entry + " is damaged (" + (err.empty() ? "short read" : err) + ")",
                    "rebuild the bundle: mos build --arch sim");
  }
  return data;
}

// Entry times from build_timestamp ("2026-12-01T20:11:42Z", as Mongoose OS
// writes it), so the archive does not change when nothing else did.
time_t entry_time(const std::string& ts) {
  std::tm tm{};
  if (std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) == 6 &&
      tm.tm_year >= 1980) {
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
  }
  return 315532800;  // 1980-01-01, the earliest time a zip entry can hold
}

}  // namespace

Bundle read_bundle(const std::string& path) {
  int err = 0;
  ZipPtr z(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err));
  if (!z) {
    if (err == ZIP_ER_NOENT || err == ZIP_ER_OPEN) {
      throw UserError("cannot open " + path + ": " + zip_error_text(err),
                      "build the firmware first: mos build --arch sim");
    }
    if ((err == ZIP_ER_NOZIP || err == ZIP_ER_INCONS) && starts_like_zip(path)) {
      throw UserError(path + " is truncated or damaged: " + zip_error_text(err) +
                          " (its end-of-archive record is missing or wrong)",
                      "rebuild it with `mos build --arch sim` or copy it again");
    }
    throw UserError(path + " is not a firmware bundle: " + zip_error_text(err),
                    "give the fw.zip that `mos build` wrote (build/fw.zip)");
  }
  // manifest.json: exactly one, found by base name; parts sit beside it.
  zip_int64_t n = zip_get_num_entries(z.get(), 0);
  zip_int64_t manifest_index = -1;
  std::string dir;
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(z.get(), static_cast<zip_uint64_t>(i), 0);
    if (name == nullptr) continue;
    std::string s = name;
    size_t slash = s.rfind('/');
    std::string base = slash == std::string::npos ? s : s.substr(slash + 1);
    if (base != "manifest.json") continue;
    if (manifest_index >= 0) {
      throw UserError(path + ": more than one manifest.json", "give the fw.zip that `mos build` wrote");
    }
    manifest_index = i;
    dir = slash == std::string::npos ? "" : s.substr(0, slash + 1);
  }
  if (manifest_index < 0) {
    throw UserError(path + " has no manifest.json: not a Mongoose OS-style firmware bundle",
                    "give the fw.zip that `mos build` wrote (build/fw.zip)");
  }
  const std::string mname = dir + "manifest.json";
  Bundle b = parse_manifest(
      read_entry(z.get(), static_cast<zip_uint64_t>(manifest_index), path, mname, internal::kMaxManifestSize),
      path + ": " + mname);
  for (Part& p : b.parts) {
    const std::string entry = dir + p.src;
    zip_int64_t idx = zip_name_locate(z.get(), entry.c_str(), 0);
    if (idx < 0) {
      throw UserError(path + ": part \"" + p.name + "\": file " + entry + " is not in the archive",
                      "rebuild the bundle: mos build --arch sim");
    }
    p.data = read_entry(z.get(), static_cast<zip_uint64_t>(idx), path, entry, internal::kMaxPartSize);
    internal::verify_part_data(b, p, path);
  }
  return b;
}

void write_bundle(const std::string& path, const Bundle& b) {
  const nlohmann::json m = build_manifest(b);
  // Same checks as a reader makes, so we never write a bundle we would refuse.
  Bundle checked = parse_manifest(m.dump(), "bundle " + b.name);
  for (const char* f : {"name", "version"}) {
    if (!internal::safe_src(m[f].get<std::string>())) {
      throw UserError(std::string("cannot name the bundle directory: \"") + f + "\" contains '/' or control characters",
                      "fix " + std::string(f) + ": in mos.yml");
    }
  }
  const std::string dir = b.name + "-" + b.version + "/";
  const std::string manifest_text = m.dump(2) + "\n";

  std::remove((path + ".tmp").c_str());
  int err = 0;
  zip_t* z = zip_open((path + ".tmp").c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (z == nullptr) {
    throw UserError("cannot create " + path + ": " + zip_error_text(err), "check that its directory is writable");
  }
  ZipPtr guard(z);
  const time_t mtime = entry_time(b.build_timestamp);
  auto add = [&](const std::string& name, const std::string& data) {
    zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
    zip_int64_t idx = src == nullptr ? -1 : zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      if (src != nullptr) zip_source_free(src);
      throw UserError("cannot add " + name + " to " + path + ": " + zip_strerror(z), "");
    }
    zip_file_set_mtime(z, static_cast<zip_uint64_t>(idx), mtime, 0);
  };
  add(dir + "manifest.json", manifest_text);
  for (const Part& p : b.parts) {
    for (const Part& q : b.parts) {
      if (&q != &p && q.src == p.src) {
        throw UserError("parts \"" + p.name + "\" and \"" + q.name + "\" share the file " + p.src, "");
      }
    }
    add(dir + p.src, p.data);
  }
  if (zip_close(z) != 0) {
    std::string e = zip_strerror(z);
    throw UserError("cannot write " + path + ": " + e, "check free space and permissions");
  }
  guard.release();
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    std::string e = std::strerror(errno);
    std::remove((path + ".tmp").c_str());
    throw UserError("cannot write " + path + ": " + e, "check free space and permissions");
  }
  (void)checked;
}

}  // namespace mos::fwbundle

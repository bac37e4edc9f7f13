#include "mos/require.h"

#include "mos/log.h"

namespace mos {

bool require(Status s, const char* what, const char* limit) {
  if (s == Status::kOk) return true;
  if (s == Status::kNoSpace && limit != nullptr) {
    MOS_LOGE("boot: cannot register %s: %s; raise %s in defaults.h", what, to_string(s), limit);
  } else {
    MOS_LOGE("boot: cannot register %s: %s", what, to_string(s));
  }
  return false;
}

}  // namespace mos

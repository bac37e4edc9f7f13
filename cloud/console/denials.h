// Denials the policy plugin records in the registry (README "REST":
// /console/api/denials and the live "denial" frames). The console reads them
// through a function, so its tests can give it a fake; mos-cloud serve passes
// Registry::denials().
#pragma once
#include <functional>
#include <vector>

#include "mos/registry/registry.h"

namespace mos::console {

using Denial = registry::Denial;
using DenialQuery = registry::DenialQuery;

// Newest first (Registry::denials()).
using DenialReader = std::function<std::vector<Denial>(const DenialQuery&)>;

}  // namespace mos::console

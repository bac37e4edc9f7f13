// Denials the policy plugin records (README "REST": /console/api/denials and
// the live "denial" frames).
//
// LEAD: the registry's denials table and Registry::denials() come with branch
// `denials`, which is not on main yet. Until it is, the console declares the
// same shapes as that branch's registry API and takes the reader as a function,
// so the console is complete and tested with a fake reader. When `denials` is
// merged: replace the two structs below with
//     using Denial = registry::Denial;
//     using DenialQuery = registry::DenialQuery;
// and in cloud/server/main.cpp pass
//     [&reg](const mos::console::DenialQuery& q) { return reg->denials(q); }
// as the Console's DenialReader (the marked line there). With no reader,
// /console/api/denials answers 501 and no denial frames are pushed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mos::console {

struct Denial {
  int64_t id = 0, at_ms = 0;  // at_ms: unix milliseconds
  std::string client_id, certificate_id, action, resource, reason;
};

struct DenialQuery {
  std::string client_id, certificate_id;  // "" = any
  int64_t after_id = 0;                   // only ids above this
  size_t limit = 100;
};

// Newest first.
using DenialReader = std::function<std::vector<Denial>(const DenialQuery&)>;

}  // namespace mos::console

// The console's JSON objects (README "REST"), built from the registry. The
// REST routes and the live frames use the same builders, so a certificate in
// a "certificate" frame is exactly a row of /console/api/certificates.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "denials.h"
#include "mos/registry/registry.h"

namespace mos::console {

using nlohmann::json;

// mos-cloud's own MQTT identities: a connection is flagged "service" when
// both its client id and its certificate are one of these (a device that
// merely picks the client id mos-cloud-console is not).
struct ServiceIdentities {
  std::string dataplane_certificate_id, console_certificate_id;
};

json thing_view(registry::Registry& reg, const registry::Thing& t);
json certificate_view(registry::Registry& reg, const registry::Certificate& c);
json policy_view(registry::Registry& reg, const registry::Policy& p);
json connection_view(const registry::ConnectedClient& c, const ServiceIdentities& ids);
json connections_view(const std::vector<registry::ConnectedClient>& all, const ServiceIdentities& ids);
json denial_view(const Denial& d);

// JSON text for the wire. Strings that came from outside (client ids are any
// bytes a client chose) may not be UTF-8: invalid bytes become U+FFFD instead
// of an exception.
std::string to_text(const json& j);

}  // namespace mos::console

// The MQTT identities mos-cloud itself uses on its broker, named in one place:
// `mos-cloud init` issues their certificates, mos-cloud connects with them,
// and readers of the connections table (`mos cloud status`, the web console)
// tell them apart from devices.
//  - the data plane (POST /topics/...): certificate dataplane.pem, admitted by
//    the policy plugin by its SHA-256 without policy checks;
//  - the web console: certificate console.pem, registered ACTIVE with the
//    policy mos-cloud-console and checked like any device (cloud/console).
#pragma once

namespace mos::cloud {

inline constexpr char kDataplaneClientId[] = "mos-cloud-dataplane";
inline constexpr char kConsoleClientId[] = "mos-cloud-console";
inline constexpr char kConsolePolicyName[] = "mos-cloud-console";

}  // namespace mos::cloud

// The console's broker identity in the registry (README "The console's
// broker identity"). console.pem/console.key are issued by the local CA like
// the data plane's (mos-cloud init); unlike the data plane, the policy plugin
// checks the console like any device, so its certificate is registered ACTIVE
// with the policy mos-cloud-console attached.
#pragma once
#include <cstdint>
#include <string>

#include "mos/registry/registry.h"

namespace mos::console {

// allow iot:Connect on client/mos-cloud-console, iot:Publish and
// iot:Receive on topic/*, iot:Subscribe on topicfilter/* (this account and
// region's ARNs).
std::string console_policy_document(const std::string& region, const std::string& account_id);

// Registers `cert_pem` (console.pem) the first time it is not in the
// registry: ACTIVE, with the policy mos-cloud-console (created if missing)
// attached. A certificate already registered is left as it is, so a person
// who deactivated it or detached or edited its policy keeps that across
// `mos cloud up` (which runs init each time). False and `error` on failure.
bool register_console_identity(registry::Registry& reg, const std::string& cert_pem, const std::string& ca_id,
                               int64_t now, std::string& error);

}  // namespace mos::console

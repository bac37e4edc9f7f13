// Relaxed JSON from a person's command line (`mos call GPIO.Write
// '{pin:2,value:0}'`) made strict, so the host speaks the grammar the device
// reads (device/json: RFC 8259 plus bare identifier keys, as Mongoose OS's
// frozen did) and sends RFC 8259 on the wire.
#pragma once
#include <string>
#include <string_view>

namespace mos::rpcclient {

// True and *strict set when `text` is relaxed JSON by the device's reader
// (mos::json::parse; nesting deeper than the device's limit is let through
// for the device to refuse); bare keys come out quoted, everything else as
// given.
// The result is checked to be RFC 8259 (nlohmann), so strings must be UTF-8.
// False with *why set ("malformed JSON", "not UTF-8 text", ...) otherwise.
bool relaxed_to_strict(std::string_view text, std::string* strict, std::string* why);

}  // namespace mos::rpcclient

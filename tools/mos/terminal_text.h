// Text that came from the network (an MQTT client id, a topic, a reason that
// quotes them) made safe to print on a terminal, one line per record.
#pragma once
#include <string>
#include <string_view>

namespace mos::cli {

// s with every byte a terminal could act on written as \xNN (lowercase hex)
// and '\' as "\\", so the result is one line of plain text and the original
// bytes can be read back from it:
//  - C0 controls (newline, ESC of an ANSI sequence, ...) and DEL;
//  - bytes that are not well-formed UTF-8 (RFC 3629 §4: overlong forms,
//    surrogates, above U+10FFFF, truncated sequences);
//  - well-formed characters that steer a terminal or reorder what is shown:
//    C1 controls U+0080..U+009F (U+009B is CSI), the bidirectional marks,
//    embeddings, overrides and isolates (Unicode UAX #9: U+061C, U+200E,
//    U+200F, U+202A..U+202E, U+2066..U+2069) and the line and paragraph
//    separators U+2028, U+2029.
// Other UTF-8 text (accents, CJK, emoji) is kept as it is.
std::string printable(std::string_view s);

}  // namespace mos::cli

// UTF-8 Encoded Strings (§1.5.4 of 5.0, §1.5.3 of 3.1.1).
#pragma once

#include "mote/common/bytes.hpp"
#include "mote/common/protocol.hpp"

namespace mote::mqtt {

// Checks well-formed UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, and no U+0000 [MQTT-1.5.4-1]
// [MQTT-1.5.4-2]. With `strict`, also rejects the control characters U+0001..U+001F
// and U+007F..U+009F and the non-characters (U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF),
// which the spec lets a receiver treat as malformed. Returns MalformedPacket.
Error validate_utf8(Bytes s, bool strict = true);

}  // namespace mote::mqtt

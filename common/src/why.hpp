// MOTE_WHY(text): the human-readable cause of an Error, or "" in builds made with
// MOTE_ERROR_CAUSES=0 so that firmware images carry no message strings. Every
// Error{...} built in common/src wraps its cause in it.
#pragma once

#include "mote/common/protocol.hpp"  // MOTE_ERROR_CAUSES

#if MOTE_ERROR_CAUSES
#define MOTE_WHY(text) text
#else
#define MOTE_WHY(text) ""
#endif

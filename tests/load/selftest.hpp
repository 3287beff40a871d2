// Built-in checks of mote-bench's own arithmetic (`mote-bench --self-test`).
#pragma once

namespace mote::bench {

// Returns the process exit status: 0 when every check passed.
int self_test();

}  // namespace mote::bench

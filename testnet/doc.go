// Package testnet generates and runs local multi-node poaledger networks: N
// validators of equal power and M full nodes sharing one genesis, either on
// 127.0.0.1 with a distinct block of ports per node (works everywhere, macOS
// included) or with one host name per node on the standard ports (Docker).
//
// Init writes the homes and DIR/testnet.json (the Manifest); Cluster starts
// each node as its own OS process of the poaledger binary and stops, kills,
// pauses and resumes them, which is what `poaledger testnet start` (Run) and the
// fault suite (the package's tests) build on.
//
// A node never outlives the process that started it (the supervisor): on Linux
// the kernel sends it SIGTERM when the supervisor dies (Pdeathsig), and on every
// unix the node itself (WatchSupervisor, via SupervisorEnv) stops once its parent
// is no longer the supervisor. While a node runs its pid is in DIR/nodeI/node.pid
// (PIDFile); Run refuses to start a testnet whose pid files name live node
// processes of those homes (RunningNodes), or whose ports already answer, and
// removes stale pid files.
package testnet

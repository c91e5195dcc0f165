// Package testnet generates and runs local multi-node poaledger networks: N
// validators of equal power and M full nodes sharing one genesis, either on
// 127.0.0.1 with a distinct block of ports per node (works everywhere, macOS
// included) or with one host name per node on the standard ports (Docker).
//
// Init writes the homes and DIR/testnet.json (the Manifest); Cluster starts
// each node as its own OS process of the poaledger binary and stops, kills,
// pauses and resumes them, which is what `poaledger testnet start` and the
// fault suite (the package's tests) build on.
package testnet

// Package node builds and runs one poaledger node: the ledger store, the ABCI app and
// the in-process CometBFT node, with the app's metrics on CometBFT's Prometheus
// listener. Start/Stop is the whole lifecycle; Stop closes the ledger last, so a
// stopped node restarts without recovery.
package node

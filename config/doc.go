// Package config holds poaledger's own configuration file (config/poaledger.toml,
// beside CometBFT's config.toml in the node home), its defaults and validation, and
// the helpers that load CometBFT's configuration from a home directory.
//
// Every option has a safe default; Validate names the offending option in its error.
// Unknown keys in poaledger.toml are rejected so that a typo never silently falls back
// to a default, and so is ledger.cache_size = 0 (the IAVL cache cannot be disabled).
//
// Each default and limit has one owner, which the others derive from:
//   - tx size: app/tx.MaxTxBytes. NodeDefaults sets mempool.max_tx_bytes to it and
//     rpc.max_body_bytes to RPCBodyBytes(tx.MaxTxBytes) (base64 4/3 plus
//     RPCEnvelopeBytes); ValidateCometBFT, run by LoadCometBFT and at node start,
//     refuses a config.toml that exceeds the first or cannot carry it through the RPC.
//   - chain id length: app/tx.MaxChainIDLen (node.ValidateChainID).
//   - ledger cache size: ledger.DefaultCacheSize.
//   - list-query page size: app/api.DefaultPageItems (DefaultMaxPageItems here),
//     capped at ledger.MaxPageItems; app.New refuses a page size above the cap.
//
// Durations are time.Duration values in Go and Go duration strings ("1s", "300ms") in
// files; LoadCometBFT refuses a bare number for a duration key of config.toml (CometBFT
// would read it as nanoseconds) and names the file, key and value of a bad one.
package config

// Package config holds poaledger's own configuration file (config/poaledger.toml,
// beside CometBFT's config.toml in the node home), its defaults and validation, and
// the helpers that load CometBFT's configuration from a home directory.
//
// Every option has a safe default; Validate names the offending option in its error.
// Unknown keys in poaledger.toml are rejected so that a typo never silently falls back
// to a default.
package config

// Package consensus holds poaledger's Proof-of-Authority rules as pure functions:
// which member role may send which message, and (as governance arrives) proposals,
// votes, thresholds and validator-set update safety. No I/O, no CometBFT node, no
// clock: every rule is testable in microseconds and deterministic.
package consensus

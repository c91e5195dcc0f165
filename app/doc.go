// Package app is poaledger's ABCI 2.0 application (CometBFT v0.38).
//
// CheckTx is a weak filter over committed state plus a check-state nonce that runs
// ahead of it; FinalizeBlock re-checks every transaction (a byzantine proposer may skip
// CheckTx), executes it on the ledger's working tree and returns the working hash as
// the new app hash; Commit persists that version, asserting the hash is unchanged.
// Info reports exactly the last committed version, which equals the block height.
//
// A rejected transaction is a result code in Codespace with a readable Log, never a
// Go error or a panic. Panics are reserved for broken internal invariants (e.g. the
// committed hash differing from the one FinalizeBlock returned).
//
// Everything that reaches state is deterministic: block time instead of wall clock,
// sorted iteration, no floats, no map-order effects.
package app

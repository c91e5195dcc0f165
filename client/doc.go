// Package client is the Go client of a poaledger node: it builds, signs and
// broadcasts transactions and queries the ledger through a node's CometBFT RPC,
// verifying what the node answers.
//
// # Transactions
//
// Send (and SignAndBroadcast) first asks the node which chain it serves and
// refuses a node of another chain than the one to sign for; only then does it
// take the signer's next nonce — proven, when SendOpts.Verifier is set — sign a
// tx.Body with the member's ed25519 key and broadcast it with broadcast_tx_sync.
// A refusal by CheckTx, and with wait=true a failure in the block, is a *TxError
// carrying the app's code, codespace and log.
//
// # Verified queries
//
// With QueryOpts.Prove, a getter (Event, Member, Members, Validators,
// Misbehaviour, Nonce, Params) returns Verified=true or an error; it never
// returns an unverified answer silently. A failed check is a *VerifyError
// wrapping ErrVerification that names what failed. "Verified" means all of:
//
//  1. The node serves the chain of the user's genesis (its /status chain id).
//  2. The answer is what was asked: the proofs are for the keys the client derives
//     itself from the id or address it asked for (api.EventQueryKeys, api.MemberKey,
//     ...) and for the values in the response; for an event, the id index entry
//     (id -> seq) and the log entry (seq -> record) are both proven; a not-found
//     answer carries a proof that the key is absent. /params is one key holding
//     every parameter, so no parameter can be dropped or added.
//  3. A list (Members, Validators, Misbehaviour) is complete: every page at one
//     height proves its items and, with non-existence proofs of its gaps
//     (api.PageGaps: the page's start, and the key right after each item) whose
//     ICS23 neighbours must be the page's own items (or the next cursor, or
//     nothing more under the list's prefix), that no other key of the list lies
//     in its range. Result.Complete reports it.
//  4. Each ICS23 proof (type "ics23:iavl") verifies, for existence of key=value or for
//     non-existence of key, against a state root R.
//  5. R is the app hash in the header of block H+1, where H is the state height of the
//     answer: the app hash committing to the state after block H is only in header
//     H+1. If block H+1 does not exist yet the client waits for it (bounded by ctx and
//     Verifier.MaxWait) — except for a query of the latest state, which is verified
//     against header H if the proofs match it (block H did not change the state); the
//     answer is then reported for height H-1. QueryInfo.Height is always the verified
//     state height and QueryInfo.ProofHeight the header used (Height+1).
//  6. A query of the latest state is fresh: with L the larger of the node's latest
//     block height and the latest header this client has verified (TrustFile),
//     the answer must verify for state height L-1 or later; a node whose latest
//     block is below a header the client has verified is refused as stale.
//  7. That header is light-verified from the user's own genesis.json: the block at
//     genesis initial_height must carry the genesis chain id and validators hash
//     and be signed by more than 2/3 of the genesis validators; a header above the
//     latest verified one is verified forward from it with CometBFT's light-client
//     rules (the adjacent and non-adjacent checks of its light package, trust level
//     1/3, bisection when the set changed too much; implemented in this package on
//     CometBFT's types, see lightverify.go); a header at or below it is verified
//     backwards by hash links from the nearest verified checkpoint above it (as
//     light.VerifyBackwards), never with the keys of older validator sets.
//
// The latest verified header and up to MaxCheckpoints verified (height, hash)
// pairs are kept in <home>/light/<chain-id>-<genesis hash prefix>.json (mode
// 0600; see Verifier.TrustFile); the file names the full genesis hash and is
// ignored, with a note, when it is not the user's genesis. The trusting period and
// why it is ten years: see TrustingPeriod.
//
// What is not verified: Status, which reports what the node says; and, for a
// client with no verified header newer than the node's claim, that the node's
// latest block is the chain's latest (a node can withhold blocks no client of
// this home has seen).
//
// # Dependencies
//
// The package talks to the node with CometBFT's plain JSON-RPC client and its own
// result types (rpc.go) and verifies headers with CometBFT's types package, not
// with rpc/client/http or the light package: those pull in the node's p2p,
// storage and metrics packages, which a client program does not need.
package client

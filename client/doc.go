// Package client is the Go client of a poaledger node: it builds, signs and
// broadcasts transactions and queries the ledger through a node's CometBFT RPC,
// verifying what the node answers.
//
// # Transactions
//
// SignAndBroadcast fetches the signer's next nonce, signs a tx.Body with the member's
// ed25519 key and broadcasts it with broadcast_tx_sync. A refusal by CheckTx, and with
// wait=true a failure in the block, is a *TxError carrying the app's code, codespace
// and log.
//
// # Verified queries
//
// With QueryOpts.Prove, a getter (Event, Member, Members, Nonce, Params) returns
// Verified=true or an error; it never returns an unverified answer silently. A
// failed check is a *VerifyError wrapping ErrVerification that names what failed.
// "Verified" means all of:
//
//  1. The answer is what was asked: the proofs are for the keys the client derives
//     itself from the id or address it asked for (app.EventQueryKeys, app.MemberKey,
//     ...) and for the values in the response; for an event, the id index entry
//     (id -> seq) and the log entry (seq -> record) are both proven; a not-found
//     answer carries a proof that the key is absent.
//  2. Each ICS23 proof (type "ics23:iavl") verifies, for existence of key=value or for
//     non-existence of key, against a state root R.
//  3. R is the app hash in the header of block H+1, where H is the state height of the
//     answer: the app hash committing to the state after block H is only in header
//     H+1. If block H+1 does not exist yet the client waits for it (bounded by ctx and
//     Verifier.MaxWait) — except for a query of the latest state, which is verified
//     against header H if the proofs match it (block H did not change the state); the
//     answer is then reported for height H-1. QueryInfo.Height is always the verified
//     state height and QueryInfo.ProofHeight the header used (Height+1).
//  4. That header is signed by more than 2/3 of the voting power of a validator set
//     traced back, with CometBFT's light-client rules (the adjacent and
//     non-adjacent checks of its light package, with trust level 1/3 and
//     bisection when the set changed too much; implemented in this package on
//     CometBFT's types, see lightverify.go), to the validator set in the user's
//     own genesis.json: the block at genesis initial_height must carry the
//     genesis chain id and validators hash and be signed by more than 2/3 of the
//     genesis validators.
//
// The latest verified header is kept in <home>/light/<chain-id>.json (mode 0600);
// later verifications start from it. A header below it is verified again from the
// genesis block. The trusting period is ten years (see TrustingPeriod): on a
// permissioned chain the trust root is the genesis file, not bonded stake.
//
// What is not verified: that a /members page lists every member (each listed member
// is proven; the absence of others is not), and Status, which reports what the node
// says.
//
// # Dependencies
//
// The package talks to the node with CometBFT's plain JSON-RPC client and its own
// result types (rpc.go) and verifies headers with CometBFT's types package, not
// with rpc/client/http or the light package: those pull in the node's p2p,
// storage and metrics packages, which a client program does not need.
package client

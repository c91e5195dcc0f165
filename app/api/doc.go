// Package api is what a poaledger node and its clients share: the query paths and
// their answer types, the result codes, the stored record types (members, events,
// validators, misbehaviour), the chain parameters, the state key layout, and the
// verification of the ICS23 proofs the node returns.
//
// It is a leaf: it imports the tx codec and the pure PoA rules, never the app, the
// ledger (Badger, IAVL), CometBFT's node or metrics, so a client built on it stays
// thin. Everything here is part of the public interface: JSON field names, key
// layout and codes change only by adding.
package api

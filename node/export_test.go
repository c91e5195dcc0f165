package node

import "github.com/poaledger/poaledger/ledger"

// LedgerStore exposes n's ledger store to the external tests (package node_test,
// which can use internal/testutil: that package imports node).
func LedgerStore(n *Node) *ledger.Store { return n.store }

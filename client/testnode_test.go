package client

import (
	"testing"

	"github.com/poaledger/poaledger/internal/testutil"
)

// testNode is a real single-validator poaledger node running in-process
// (internal/testutil's one-node harness).
type testNode = testutil.Node

// startTestNode starts a one-validator node on chain "client-test" (free ports,
// Prometheus off, fast blocks) and waits until it has produced its first block.
func startTestNode(t testing.TB) *testNode {
	t.Helper()
	return testutil.StartNode(t, testutil.WithChainID("client-test"))
}

// Package testutil holds the test helpers that several packages' tests share: free
// loopback ports, waiting on a CometBFT RPC, reading a member's nonce, and a
// one-validator node running in-process. It is a normal package under internal/ so
// that only this module can import it; only _test.go files should, since it pulls
// in node, keyring and config. Nothing here may import client: the helpers must
// stay independent of the client package (whose verification tests check them).
//
// The contract of each helper:
//
//   - FreePort(t) and FreePorts(t, n) return TCP ports on 127.0.0.1 that were free
//     when chosen. FreePorts holds all n listeners open until every port is
//     picked, so the n ports are distinct; neither ever returns a port it already
//     returned in this process. The ports are closed again on return, so another
//     process may still take one before the caller binds it. Failure is t.Fatal.
//
//   - Poll(ctx, what, try) calls try until it returns nil, with PollInterval
//     between attempts (a ticker, never a bare sleep as synchronisation) and each
//     attempt's context bounded by AttemptTimeout. ctx must carry a deadline (an
//     error is returned at once if it does not), so nothing waits forever. On
//     timeout or cancellation the error names what, the time waited, the number
//     of attempts, ctx's error and try's last error (an attempt cut short by the
//     end of ctx does not hide an earlier, more telling error).
//
//   - WaitStatus(ctx, rpc, what, ok) polls rpc's /status with Poll until ok
//     accepts it and returns that status. WaitHeight(ctx, rpc, h) waits for a
//     latest block height >= h; WaitCaughtUp(ctx, rpc, h) also requires the
//     node not to be catching up (block sync). A failure names the last height
//     and catching-up flag seen, or the last RPC error.
//
//   - NextNonce(ctx, rpc, addr) makes one unproven abci_query of /nonce/<addr>
//     (addr as upper-case hex, like tx.AddressString or keyring.Key.Address) at
//     the latest committed height, and decodes the app's answer itself: empty is
//     0, otherwise exactly 8 bytes big-endian. A transport error or a non-zero
//     code is returned as an error; a value of any other length is an error that
//     wraps ErrNonceValue. It does not retry and verifies no proof.
//
//   - StartNode(t, opts...) initialises a one-validator home in t.TempDir() with
//     node.InitHome (chain id "poaledger-test" unless WithChainID, moniker
//     "val0"), gives it fresh RPC and P2P ports, turns Prometheus off, shortens
//     the consensus timeouts (commit 100 ms, propose 500 ms) and logs at "error"
//     into Home/node.log, then applies the WithConfig overrides in order and
//     writes the result to config.toml, so the home restarts as it ran. It builds
//     the node with node.New (fresh Prometheus registry), starts it and waits
//     (WaitHeight, 30 s) until block 1 is committed. t.Cleanup stops the node
//     (a test may stop it earlier; Stop is idempotent), and dumps node.log into
//     the test log if the test failed. Any failure is t.Fatal.
//
// NewRPC(t, addr) is rpchttp.New(addr, "/websocket") that fails the test on error.
package testutil

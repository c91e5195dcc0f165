// Package bench is `poaledger bench`: a benchmark of poaledger side by side with
// CometBFT's kvstore example app, in one invocation.
//
//   - Network run (network.go): a fresh local testnet of Options.Validators
//     processes on 127.0.0.1 (testnet.Init + testnet.Cluster, identical config)
//     started once per app. For the kvstore run each home's config.toml names
//     proxy_app = "persistent_kvstore" (ProxyAppKVStore), which `poaledger start`
//     honours by running CometBFT's kvstore in-process through node.Options.App
//     (AppForHome). Open-loop load at fixed offered rates of ~1 KiB txs over
//     several RPC connections spread over all nodes: signed RecordEvents of one
//     unique EPCIS ObjectEvent from many genesis recorders (sequential nonces,
//     each signer's txs sent in order on one connection) for poaledger, key=value
//     txs of the same size for kvstore. Per rate: committed tx/s from the blocks
//     (/block + /block_results) over a measured window after warm-up, submit ->
//     commit latency percentiles, rejected and lost txs, block interval and txs
//     per block, CPU seconds per committed tx (/proc/<pid>/stat of the node
//     processes) and peak RSS per node (/proc/<pid>/status VmHWM).
//   - In-process run (inproc.go): FinalizeBlock + Commit throughput of blocks of
//     signed events through app.New on a ledger.Store opened as the node opens
//     it, on a ledger already holding Options.Prefill events; CheckTx throughput
//     (first check and recheck); CPU profiles grouped by component and phase
//     (profile.go).
//   - Query run (query.go): event by id over RPC with and without proof
//     (client.Event, light-verified from genesis), concurrent clients.
//
// Results go to Options.Out as results.json, results.md and a chart (bench.svg,
// bench.png). Everything is bounded in count and time: every wait polls with a
// deadline, every node process is stopped on any return (and dies with this
// process: testnet.Cluster), and traffic only goes to 127.0.0.1.
package bench

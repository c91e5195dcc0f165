package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/internal/testutil"
	"github.com/poaledger/poaledger/keyring"
)

// The fairness test's chain: one event per tx, a share of fairShare events per
// signer per block, and at most fairPending txs of one signer in the mempool, so
// a full mempool share is fairPending/fairShare blocks of backlog.
const (
	fairShare   = 5
	fairPending = 100
	// fairFloodRefusals is how many over_quota refusals end the flood: the
	// mempool bound held that many times.
	fairFloodRefusals = 20
	// fairFloodCap bounds the flooder's accepted txs; reaching it means the
	// mempool bound never refused (or blocks drained faster than it floods).
	fairFloodCap = 1000
	// fairProbes bounds the honest member's probes (see below).
	fairProbes = 3
)

// fairEvent is a valid EPCIS event, unique per (who, n).
func fairEvent(who string, n uint64) []byte {
	return []byte(fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.107346.%s%d"]}`, who, n))
}

// fairHome is a WithConfig override that, before the node is built, turns the home
// InitHome wrote into the fairness test's chain: it adds flooder to genesis as a
// recorder, sets the genesis params (max_events_per_tx 1, max_events_per_signer_block
// fairShare) and poaledger.toml's max_pending_txs_per_signer (fairPending). StartNode
// applies WithConfig after InitHome and before node.New (testutil's documented order),
// and c.RootDir is the home. The test checks afterwards that the chain runs them.
func fairHome(t *testing.T, flooder *keyring.Key) func(c *cmtcfg.Config) {
	return func(c *cmtcfg.Config) {
		home := c.RootDir
		k, err := keyring.New(home, keyring.Unencrypted()).Add("flooder")
		if err != nil {
			t.Fatal(err)
		}
		*flooder = k
		doc, err := cmttypes.GenesisDocFromFile(c.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		state, err := app.ParseGenesisState(doc.AppState)
		if err != nil {
			t.Fatal(err)
		}
		state.Members = append(state.Members, app.GenesisMember{PubKey: k.PubKey, Name: "flooder", Roles: []string{consensus.RoleRecorder}})
		state.Params.MaxEventsPerTx = 1
		state.Params.MaxEventsPerSignerBlock = fairShare
		if err := state.Validate(); err != nil {
			t.Fatal(err)
		}
		if doc.AppState, err = json.Marshal(state); err != nil {
			t.Fatal(err)
		}
		if err := doc.ValidateAndComplete(); err != nil {
			t.Fatal(err)
		}
		if err := doc.SaveAs(c.GenesisFile()); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		cfg.App.MaxPendingPerSigner = fairPending
		if err := config.Save(home, cfg); err != nil {
			t.Fatal(err)
		}
		c.Consensus.TimeoutCommit = 100 * time.Millisecond
		c.Consensus.CreateEmptyBlocks = true
		c.Consensus.CreateEmptyBlocksInterval = 0
	}
}

// fairTx is one tx of a block as the test reads it back.
type fairTx struct {
	signer string
	nonce  uint64
	events int
	code   uint32
	hash   string
}

// fairBlocks reads blocks from..to (/block and /block_results) and decodes their txs.
func fairBlocks(ctx context.Context, t *testing.T, rpc *rpchttp.HTTP, from, to int64) map[int64][]fairTx {
	t.Helper()
	out := map[int64][]fairTx{}
	for h := from; h <= to; h++ {
		b, err := rpc.Block(ctx, &h)
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		r, err := rpc.BlockResults(ctx, &h)
		if err != nil {
			t.Fatalf("block_results %d: %v", h, err)
		}
		if len(r.TxsResults) != len(b.Block.Txs) {
			t.Fatalf("block %d: %d txs, %d results", h, len(b.Block.Txs), len(r.TxsResults))
		}
		for i, raw := range b.Block.Txs {
			env, err := tx.DecodeEnvelope(raw)
			if err != nil {
				t.Fatalf("block %d tx %d: %v", h, i, err)
			}
			body, err := tx.DecodeBody(env.Body)
			if err != nil {
				t.Fatalf("block %d tx %d: %v", h, i, err)
			}
			ft := fairTx{signer: tx.AddressString(tx.Address(env.PubKey)), nonce: body.Nonce,
				code: r.TxsResults[i].Code, hash: fmt.Sprintf("%X", tx.Hash(raw))}
			if m, ok := body.Msg.(*tx.RecordEvents); ok {
				ft.events = len(m.Events)
			}
			out[h] = append(out[h], ft)
		}
	}
	return out
}

// TestFairnessFloodDoesNotDelayOthers: one member flooding does not delay another
// member's tx by more than two blocks.
//
// The flooder fills its mempool share (fairPending txs, fairPending/fairShare blocks
// of backlog) as fast as it can, retrying a refused nonce, until the mempool bound
// has refused it fairFloodRefusals times. Then the honest member (the admin) submits
// one tx: it must commit at most two blocks after the height H0 the node reported
// just before the broadcast, ahead of the flooder's backlog. Then the backlog must
// drain: every accepted flooder tx commits, in nonce order, none lost or refused,
// and no block holds more than fairShare of the flooder's events.
//
// The bound is checked without timing assumptions: H1, the height read just after
// broadcast_tx_sync returned (the tx then is in the mempool), means the proposal of
// H1+2 comes after the tx, so height <= H1+2 is asserted for every probe. When no
// block committed during the broadcast (H1 == H0) that is the bound H0+2; if one did
// (the test cannot tell on which side of it the tx arrived), the honest member probes
// again, up to fairProbes times, while the flooder's backlog still waits.
func TestFairnessFloodDoesNotDelayOthers(t *testing.T) {
	var flooder keyring.Key
	tn := testutil.StartNode(t, testutil.WithChainID("fairness-test"), testutil.WithConfig(fairHome(t, &flooder)))
	rpc := testutil.NewRPC(t, tn.RPC)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	// The chain runs the test's params and the node its mempool bound.
	q, err := rpc.ABCIQuery(ctx, api.PathParams, nil)
	if err != nil || q.Response.Code != 0 {
		t.Fatalf("/params: %+v %v", q, err)
	}
	params, err := api.DecodeParams(q.Response.Value)
	if err != nil || params.MaxEventsPerTx != 1 || params.MaxEventsPerSignerBlock != fairShare {
		t.Fatalf("/params = %+v %v; want max_events_per_tx 1, max_events_per_signer_block %d", params, err, fairShare)
	}
	if cfg, err := config.Load(tn.Home); err != nil || cfg.App.MaxPendingPerSigner != fairPending {
		t.Fatalf("poaledger.toml max_pending_txs_per_signer = %d %v; want %d", cfg.App.MaxPendingPerSigner, err, fairPending)
	}
	start, err := rpc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	firstHeight := start.SyncInfo.LatestBlockHeight + 1

	sign := func(k keyring.Key, who string, nonce uint64) []byte {
		t.Helper()
		_, raw, err := tx.Sign(k.PrivKey, &tx.Body{ChainID: tn.ChainID, Nonce: nonce,
			Msg: &tx.RecordEvents{Events: [][]byte{fairEvent(who, nonce)}}})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}

	// The flood: nonces in order, a refused one sent again, until the mempool
	// bound has refused fairFloodRefusals times.
	var accepted, overQuota uint64
	for overQuota < fairFloodRefusals {
		if accepted >= fairFloodCap {
			t.Fatalf("flooder: %d txs accepted, %d refused over_quota: the mempool bound of %d never held", accepted, overQuota, fairPending)
		}
		res, err := rpc.BroadcastTxSync(ctx, sign(flooder, "flood-", accepted))
		if err != nil {
			t.Fatalf("flooder nonce %d: %v", accepted, err)
		}
		switch res.Code {
		case api.CodeOK:
			accepted++
		case api.CodeOverQuota:
			if want := fmt.Sprintf("limit %d", fairPending); !strings.Contains(res.Log, want) {
				t.Fatalf("flooder nonce %d: over_quota %q does not name %q", accepted, res.Log, want)
			}
			overQuota++
		default:
			t.Fatalf("flooder nonce %d: CheckTx code %d (%s): %s", accepted, res.Code, api.CodeName(res.Code), res.Log)
		}
	}
	committed, err := testutil.NextNonce(ctx, rpc, flooder.Address())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("flood: %d txs accepted, %d refused over_quota; %d committed, %d waiting", accepted, overQuota, committed, accepted-committed)

	// The honest member's probes.
	type probe struct {
		h0, h1, height int64
		hash           string
	}
	var probes []probe
	clean := -1
	for nonce := uint64(0); nonce < fairProbes && clean < 0; nonce++ {
		raw := sign(tn.Admin, "honest-", nonce)
		st0, err := rpc.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rpc.BroadcastTxSync(ctx, raw)
		if err != nil || res.Code != api.CodeOK {
			t.Fatalf("honest tx nonce %d: %+v %v", nonce, res, err)
		}
		st1, err := rpc.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := probe{h0: st0.SyncInfo.LatestBlockHeight, h1: st1.SyncInfo.LatestBlockHeight, hash: res.Hash.String()}
		var found *coretypes.ResultTx
		if err := testutil.Poll(ctx, fmt.Sprintf("honest tx %s committed", p.hash), func(ctx context.Context) error {
			r, err := rpc.Tx(ctx, res.Hash, false)
			if err != nil {
				return err
			}
			found = r
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if found.TxResult.Code != api.CodeOK {
			t.Fatalf("honest tx nonce %d refused in block %d: code %d (%s): %s", nonce, found.Height,
				found.TxResult.Code, api.CodeName(found.TxResult.Code), found.TxResult.Log)
		}
		p.height = found.Height
		t.Logf("honest tx nonce %d: submitted at height %d (%d after the broadcast), committed in block %d", nonce, p.h0, p.h1, p.height)
		if p.height > p.h1+2 {
			t.Fatalf("honest tx submitted at height %d (still %d once in the mempool) committed in block %d: delayed more than two blocks by the flood",
				p.h0, p.h1, p.height)
		}
		if p.h1 == p.h0 {
			if p.height > p.h0+2 {
				t.Fatalf("honest tx submitted at height %d committed in block %d: more than H0+2", p.h0, p.height)
			}
			clean = len(probes)
		}
		probes = append(probes, p)
	}
	if clean < 0 {
		t.Logf("every probe's broadcast straddled a block: bound checked as H1+2 only")
	}

	// The backlog drains: every accepted flooder tx commits.
	if err := testutil.Poll(ctx, fmt.Sprintf("flooder's %d txs committed", accepted), func(ctx context.Context) error {
		n, err := testutil.NextNonce(ctx, rpc, flooder.Address())
		if err != nil {
			return err
		}
		if n > accepted {
			return fmt.Errorf("flooder's nonce %d is past its %d accepted txs", n, accepted)
		}
		if n != accepted {
			return fmt.Errorf("flooder's nonce %d of %d", n, accepted)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	end, err := rpc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := end.SyncInfo.LatestBlockHeight

	// Read every block since the flood began.
	blocks := fairBlocks(ctx, t, rpc, firstHeight, last)
	var nextFloodNonce uint64
	floodBlocks, fullBlocks := 0, 0
	var lastFloodBlock int64
	honestAt := map[string]int64{}
	var perBlock []string
	for h := firstHeight; h <= last; h++ {
		var floodEvents int
		for i, ft := range blocks[h] {
			switch ft.signer {
			case flooder.Address():
				if ft.code != api.CodeOK {
					t.Errorf("block %d tx %d: flooder's nonce %d refused with code %d (%s)", h, i, ft.nonce, ft.code, api.CodeName(ft.code))
				}
				if ft.nonce != nextFloodNonce {
					t.Errorf("block %d tx %d: flooder's nonce %d, want %d", h, i, ft.nonce, nextFloodNonce)
				}
				nextFloodNonce = ft.nonce + 1
				floodEvents += ft.events
			case tn.Admin.Address():
				if ft.code != api.CodeOK {
					t.Errorf("block %d tx %d: honest tx refused with code %d", h, i, ft.code)
				}
				honestAt[ft.hash] = h
			default:
				t.Errorf("block %d tx %d: unexpected signer %s", h, i, ft.signer)
			}
		}
		if floodEvents > fairShare {
			t.Errorf("block %d holds %d events of the flooder, more than max_events_per_signer_block %d", h, floodEvents, fairShare)
		}
		if floodEvents > 0 {
			floodBlocks++
			lastFloodBlock = h
			perBlock = append(perBlock, fmt.Sprintf("%d:%d", h, floodEvents))
		}
		if floodEvents == fairShare {
			fullBlocks++
		}
	}
	if nextFloodNonce != accepted {
		t.Errorf("blocks %d..%d hold the flooder's nonces 0..%d, want all %d accepted txs", firstHeight, last, int64(nextFloodNonce)-1, accepted)
	}
	for i, p := range probes {
		if got, ok := honestAt[p.hash]; !ok || got != p.height {
			t.Errorf("honest tx %d (%s): in block %d (found %v) by the block scan, /tx said %d", i, p.hash, got, ok, p.height)
		}
	}
	// The honest tx overtook the flood: the flooder still had txs waiting after it.
	if p := probes[len(probes)-1]; lastFloodBlock <= p.height {
		t.Errorf("flooder's last tx in block %d, not after the honest tx's block %d: the flood was not pending", lastFloodBlock, p.height)
	}
	if min := int(accepted+fairShare-1) / fairShare; floodBlocks < min {
		t.Errorf("flooder's %d txs in %d blocks, fewer than %d", accepted, floodBlocks, min)
	}
	t.Logf("blocks %d..%d: flooder's %d txs in %d blocks (%d with its full share of %d), last in block %d; flooder events per block: %s",
		firstHeight, last, accepted, floodBlocks, fullBlocks, fairShare, lastFloodBlock, strings.Join(perBlock, " "))
}

package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/ledger"
)

// Node is a running (or startable) poaledger node.
type Node struct {
	home   string
	cmt    *cmtnode.Node
	store  *ledger.Store
	app    *app.App
	logger log.Logger
	dbs    *dbTracker
	cancel context.CancelFunc // stops the admission watcher
}

// dbTracker remembers CometBFT's databases so Stop can close the ones CometBFT's
// own OnStop leaves open (the tx indexer's), which would otherwise keep their
// file locks until the process exits.
type dbTracker struct {
	mu  sync.Mutex
	dbs []dbm.DB
}

func (t *dbTracker) provide(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err == nil {
		t.mu.Lock()
		t.dbs = append(t.dbs, db)
		t.mu.Unlock()
	}
	return db, err
}

func (t *dbTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, db := range t.dbs {
		_ = db.Close() // already closed by CometBFT is fine
	}
	t.dbs = nil
}

// Options for New.
type Options struct {
	// Version is the software version reported in ABCI Info.
	Version string
	// Commit is the git commit in poaledger_build_info; "" means the one the go
	// command stamped into the binary.
	Commit string
	// Registerer receives the app's metrics; nil means prometheus.DefaultRegisterer,
	// which CometBFT's Prometheus listener serves.
	Registerer prometheus.Registerer
	// LogWriter receives logs; nil means stdout.
	LogWriter io.Writer
	// LogLevel and LogFormat (plain or json), when set, replace config.toml's
	// log_level and log_format (`poaledger start --log-level --log-format`).
	LogLevel, LogFormat string
	// Override, if set, adjusts the loaded CometBFT config (tests: ports, metrics).
	Override func(*cmtcfg.Config)
	// App, if set, is the ABCI application CometBFT runs in-process instead of
	// poaledger's (`poaledger bench` runs CometBFT's kvstore example as its
	// baseline this way). No ledger is opened and poaledger's own checks, such
	// as node admission, do not run; the caller owns App's storage.
	App abci.Application
}

// New loads the configuration in home, opens the ledger and builds the CometBFT node.
func New(home string, opts Options) (*Node, error) {
	cmtCfg, err := config.LoadCometBFT(home)
	if err != nil {
		return nil, err
	}
	if opts.Override != nil {
		opts.Override(cmtCfg)
		if err := config.ValidateCometBFT(cmtCfg); err != nil {
			return nil, fmt.Errorf("node: config after override: %w", err)
		}
	}
	appCfg, err := config.Load(home)
	if err != nil {
		return nil, err
	}
	if os.Getenv("GOGC") == "" { // the environment overrides poaledger.toml
		debug.SetGCPercent(appCfg.Runtime.GCPercent)
	}
	w := opts.LogWriter
	if w == nil {
		w = os.Stdout
	}
	logger, err := nodeLogger(w, cmtCfg, opts) // node/logging.go
	if err != nil {
		return nil, err
	}
	genDoc, err := cmttypes.GenesisDocFromFile(cmtCfg.GenesisFile())
	if err != nil {
		return nil, fmt.Errorf("node: genesis %s: %w", cmtCfg.GenesisFile(), err)
	}
	if _, err := app.ParseGenesisState(genDoc.AppState); err != nil {
		return nil, fmt.Errorf("node: genesis %s: %w", cmtCfg.GenesisFile(), err)
	}
	if opts.App != nil {
		return newWithApp(home, cmtCfg, genDoc, logger, opts.App)
	}
	lopts := ledger.DefaultOptions()
	lopts.CacheSize = appCfg.Ledger.CacheSize
	lopts.KeepRecent = appCfg.Ledger.KeepRecent
	lopts.InitialVersion = uint64(genDoc.InitialHeight)
	lopts.Logger = logger.With("module", "ledger")
	lopts.WriteOncePrefixes = api.WriteOncePrefixes()
	store, err := ledger.Open(appCfg.LedgerDir(home), lopts)
	if err != nil {
		return nil, fmt.Errorf("node: open ledger: %w", err)
	}
	reg := chainRegisterer(opts.Registerer, genDoc.ChainID) // metrics.go: chain_id on every poaledger_* series
	metrics := app.NewMetrics(reg)
	registerNodeMetrics(reg, opts.Version, opts.Commit, cmtCfg.DBDir(), appCfg.LedgerDir(home))
	application, err := app.New(store, app.Options{
		ChainID:             genDoc.ChainID,
		SigCacheSize:        appCfg.App.SigCacheSize,
		MaxPageItems:        appCfg.App.MaxPageItems,
		MaxPendingPerSigner: appCfg.App.MaxPendingPerSigner,
		MempoolTxs:          cmtCfg.Mempool.Size,
		MempoolBytes:        cmtCfg.Mempool.MaxTxsBytes,
		Metrics:             metrics,
		Logger:              logger.With("module", "app"),
		SoftwareVersion:     opts.Version,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(cmtCfg.NodeKeyFile())
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("node: node key %s: %w", cmtCfg.NodeKeyFile(), err)
	}
	pv, err := loadPrivValidator(cmtCfg)
	if err != nil {
		store.Close()
		return nil, err
	}
	dbs := &dbTracker{}
	cmt, err := cmtnode.NewNode(cmtCfg, pv, nodeKey,
		proxy.NewLocalClientCreator(&timed{Application: application, m: metrics}),
		func() (*cmttypes.GenesisDoc, error) { return genDoc, nil },
		dbs.provide,
		cmtnode.DefaultMetricsProvider(cmtCfg.Instrumentation),
		logger)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("node: %w", err)
	}
	n := &Node{home: home, cmt: cmt, store: store, logger: logger, dbs: dbs, app: application}
	if err := n.checkOwnAdmission(pv); err != nil {
		n.dbs.closeAll()
		store.Close()
		return nil, err
	}
	return n, nil
}

// checkOwnAdmission refuses to run a validator whose node ID the ledger does
// not admit (its peers would refuse it), and warns a non-validator.
func (n *Node) checkOwnAdmission(pv *privval.FilePV) error {
	if !n.cmt.Config().FilterPeers {
		n.logger.Info("filter_peers is off in config.toml: any node that reaches this one may connect and sync the ledger")
		return nil
	}
	id := string(n.cmt.NodeInfo().ID())
	ok, why := n.app.Admitted(id)
	if ok {
		return nil
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return fmt.Errorf("node: validator key: %w", err)
	}
	if n.app.IsValidator(pub.Bytes()) {
		return fmt.Errorf("node: this validator's node ID %s is not admitted in the ledger (%s); peers would refuse it. "+
			"An authority must propose `poaledger tx propose admit-node %s --role validator --operator ADDRESS` and the authorities vote", id, why, id)
	}
	n.logger.Error("this node is not admitted: peers will refuse it until the authorities admit it",
		"node_id", id, "reason", why)
	return nil
}

// dropRevokedPeers disconnects, after each block, the peers the ledger no
// longer admits (a block revoked them); the peer filter refuses their redials.
func (n *Node) dropRevokedPeers(ctx context.Context) error {
	sub, err := n.cmt.EventBus().Subscribe(ctx, "poaledger-admission", cmttypes.EventQueryNewBlock, 16)
	if err != nil {
		return fmt.Errorf("node: subscribe to new blocks: %w", err)
	}
	go func() {
		dropped := map[string]bool{} // log once per peer
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Canceled():
				return
			case <-sub.Out():
			}
			for _, p := range n.cmt.Switch().Peers().List() {
				id := string(p.ID())
				if ok, why := n.app.Admitted(id); !ok {
					if !dropped[id] {
						n.logger.Info("disconnecting peer the ledger no longer admits", "peer", id, "reason", why)
						dropped[id] = true
					}
					n.cmt.Switch().StopPeerForError(p, "node no longer admitted: "+why)
				}
			}
		}
	}()
	return nil
}

func loadPrivValidator(c *cmtcfg.Config) (*privval.FilePV, error) {
	for _, f := range []string{c.PrivValidatorKeyFile(), c.PrivValidatorStateFile()} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("node: validator key/state %s: %w (run `poaledger init`)", f, err)
		}
	}
	return privval.LoadFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile()), nil
}

// Start starts CometBFT (and with it the app).
func (n *Node) Start() error {
	if err := n.cmt.Start(); err != nil {
		if n.store != nil {
			n.store.Close()
		}
		return fmt.Errorf("node: start: %w", err)
	}
	if n.cmt.Config().FilterPeers && n.app != nil {
		ctx, cancel := context.WithCancel(context.Background())
		n.cancel = cancel
		if err := n.dropRevokedPeers(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops CometBFT, then closes the ledger.
func (n *Node) Stop() error {
	if n.cancel != nil {
		n.cancel()
	}
	var errs []error
	if n.cmt.IsRunning() {
		if err := n.cmt.Stop(); err != nil {
			errs = append(errs, err)
		}
		n.cmt.Wait()
	}
	n.dbs.closeAll()
	if n.store != nil { // nil with Options.App
		if err := n.store.Close(); err != nil && !errors.Is(err, ledger.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// newWithApp builds the CometBFT node around application (Options.App) instead
// of poaledger's app: no ledger, no metrics of ours, no admission checks.
func newWithApp(home string, cmtCfg *cmtcfg.Config, genDoc *cmttypes.GenesisDoc, logger log.Logger, application abci.Application) (*Node, error) {
	nodeKey, err := p2p.LoadNodeKey(cmtCfg.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("node: node key %s: %w", cmtCfg.NodeKeyFile(), err)
	}
	pv, err := loadPrivValidator(cmtCfg)
	if err != nil {
		return nil, err
	}
	dbs := &dbTracker{}
	cmt, err := cmtnode.NewNode(cmtCfg, pv, nodeKey, proxy.NewLocalClientCreator(application),
		func() (*cmttypes.GenesisDoc, error) { return genDoc, nil },
		dbs.provide, cmtnode.DefaultMetricsProvider(cmtCfg.Instrumentation), logger)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	return &Node{home: home, cmt: cmt, logger: logger, dbs: dbs}, nil
}

// CometBFT returns the underlying CometBFT node.
func (n *Node) CometBFT() *cmtnode.Node { return n.cmt }

// Run starts the node in home and blocks until ctx is done, then stops it cleanly.
func Run(ctx context.Context, home string, opts Options) error {
	n, err := New(home, opts)
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		return err
	}
	n.logger.Info("poaledger node started", "home", home, "rpc", n.cmt.Config().RPC.ListenAddress,
		"metrics", n.cmt.Config().Instrumentation.PrometheusListenAddr)
	<-ctx.Done()
	n.logger.Info("stopping poaledger node")
	n.markStopping()
	err = n.Stop()
	n.logStopped(err) // the last line: stopped, ledger closed at height H
	return err
}

// timed observes FinalizeBlock and Commit durations; it lives here, not in app,
// because app stays free of wall-clock reads.
type timed struct {
	abci.Application
	m *app.Metrics
}

func (t *timed) FinalizeBlock(ctx context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	start := time.Now()
	defer func() { t.m.BlockSeconds.Observe(time.Since(start).Seconds()) }()
	return t.Application.FinalizeBlock(ctx, req)
}

func (t *timed) Commit(ctx context.Context, req *abci.RequestCommit) (*abci.ResponseCommit, error) {
	start := time.Now()
	defer func() { t.m.CommitSeconds.Observe(time.Since(start).Seconds()) }()
	return t.Application.Commit(ctx, req)
}

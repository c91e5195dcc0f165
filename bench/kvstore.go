package bench

import (
	"fmt"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/config"
)

// ProxyAppKVStore is the config.toml proxy_app that makes `poaledger start` run
// CometBFT's kvstore example app in-process (node.Options.App) instead of
// poaledger: the benchmark's baseline. It is CometBFT's own name for that app
// (persistent: a goleveldb database <home>/data/kvstore.db, as CometBFT keeps
// it), so the choice lives in the home and survives any way the node is
// started. "kvstore" is accepted too; any other proxy_app (CometBFT's default is
// a socket address, which poaledger never dials) runs poaledger.
const ProxyAppKVStore = "persistent_kvstore"

// AppForHome returns the ABCI app that the node in home runs instead of
// poaledger's, and the func that closes its database; a nil app (and nil error)
// means poaledger's own app.
func AppForHome(home string) (app abci.Application, closeApp func() error, err error) {
	cfg, err := config.LoadCometBFT(home)
	if err != nil {
		return nil, nil, err
	}
	switch cfg.ProxyApp {
	case ProxyAppKVStore, "kvstore":
	default:
		return nil, nil, nil
	}
	defer func() {
		// NewPersistentApplication panics when it cannot open its database.
		if r := recover(); r != nil {
			app, closeApp, err = nil, nil, fmt.Errorf("bench: kvstore in %s: %v", cfg.DBDir(), r)
		}
	}()
	kv := kvstore.NewPersistentApplication(cfg.DBDir())
	return kv, kv.Close, nil
}

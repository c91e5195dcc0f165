package ledger

import (
	"fmt"
	"time"

	"github.com/cosmos/iavl"
	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Logger is the logging interface the ledger uses (CometBFT's log.Logger
// satisfies it). A nil Logger discards everything.
type Logger interface {
	Info(msg string, kv ...any)
	Error(msg string, kv ...any)
}

// Options configures Open.
type Options struct {
	// InMemory uses iavl's MemDB instead of Badger (tests); dir is ignored and
	// nothing survives Close.
	InMemory bool
	// CacheSize is the iavl node cache size in nodes. The zero value means
	// DefaultCacheSize, so Options{} works; an operator cannot ask for 0, since
	// poaledger.toml refuses ledger.cache_size = 0 (the cache cannot be disabled).
	CacheSize int
	// KeepRecent > 0 prunes versions older than the latest KeepRecent after each
	// Commit. 0 keeps every version (the default: every height stays provable).
	KeepRecent int64
	// InitialVersion is the version of the first Commit of an empty store
	// (CometBFT's initial_height). 0 and 1 both mean 1.
	InitialVersion uint64
	// NoSync skips every fsync. Tests and benchmarks only: a power loss may then
	// lose acknowledged commits (a killed process does not).
	NoSync bool
	// Logger receives recovery and GC messages; may be nil.
	Logger Logger
	// WriteOncePrefixes lists key prefixes whose keys may only be written with
	// SetOnce and never deleted. Set and Delete on such keys fail with
	// ErrWriteOnce. Optional: SetOnce works on any key without it.
	WriteOncePrefixes [][]byte
}

// Defaults.
const (
	// DefaultCacheSize is the iavl node cache of a validator, in nodes (~100
	// bytes plus the value each): the single owner of this default, used by
	// DefaultOptions, by Open for a zero CacheSize and by poaledger.toml's
	// ledger.cache_size.
	DefaultCacheSize = 200_000
	// gcInterval is how often the value-log GC runs.
	gcInterval = 10 * time.Minute
	// gcDiscardRatio is the share of stale data a value-log file needs before GC
	// rewrites it.
	gcDiscardRatio = 0.5
)

// iavlFlushBytes is iavl's batch flush threshold: a version is written in
// batches of about this size (iavl's default is 100 kB). A variable so the
// crash test can force versions written in many batches.
var iavlFlushBytes = 4 << 20

// tuneBadgerOptions, when set, adjusts the Badger options of the next Open
// (benchmarks compare settings with it). nil in production.
var tuneBadgerOptions func(*badger.Options)

// DefaultOptions returns the options of a validator: Badger on disk, sync on
// every commit, no pruning, initial version 1.
func DefaultOptions() Options {
	return Options{CacheSize: DefaultCacheSize}
}

// badgerOptions are Badger's settings for a validator (see doc.go).
func badgerOptions(dir string, lg Logger) badger.Options {
	o := badger.DefaultOptions(dir)
	// Every Badger write is synced before it returns: the only way to make the
	// writes of a memtable that rotates during a commit durable before the
	// commit marker (see doc.go, "Durability"). Options.NoSync turns it off.
	o.SyncWrites = true
	// More level-0 tables before a compaction: 8 instead of 4 wrote 29 %
	// fewer bytes over a 100k-event ledger (doc.go, Badger settings, which
	// also says why the first explanation, the commit marker, did not hold).
	o.MemTableSize = 32 << 20
	o.NumMemtables = 2
	o.NumLevelZeroTables = 8
	o.NumLevelZeroTablesStall = 24
	o.ValueLogFileSize = 128 << 20
	// iavl leaves with values over ~0.4 KiB go to the value log, so compactions
	// do not rewrite them; inner nodes (~100 B) and small leaves stay inline.
	o.ValueThreshold = 512
	// iavl nodes are hashes and keys: compression saves little disk and costs
	// a decode on every block read. Uncompressed (and unencrypted) tables are
	// read straight from the mmap'd files, so no block cache is needed.
	o.Compression = options.None
	o.BlockCacheSize = 0
	// 0 keeps table indices and bloom filters in the mmap'd tables instead of
	// a bounded cache that must re-decode them after an eviction.
	o.IndexCacheSize = 0
	o.NumCompactors = 2
	o.DetectConflicts = false // single writer; conflict tracking only costs memory
	o.MetricsEnabled = false
	// No L0 compaction on Close: with up to 8 L0 tables it can take longer
	// than a supervisor waits after SIGTERM (a 4-node bench on 2 cores, then
	// with 64 MiB memtables, missed its 15 s). The tables stay in L0 and are
	// compacted after the next Open.
	o.CompactL0OnClose = false
	o.Logger = badgerLogger{lg}
	return o
}

// openBadger opens Badger with o, first removing the empty log files a crash
// can leave behind (emptylogs.go), which Badger would refuse to open.
func openBadger(dir string, o badger.Options) (*badger.DB, error) {
	var lg Logger = nopLogger{}
	if bl, ok := o.Logger.(badgerLogger); ok && bl.l != nil {
		lg = bl.l
	}
	if !o.InMemory && !o.ReadOnly {
		if err := removeEmptyLogFiles(o.Dir, o.ValueDir, lg); err != nil {
			return nil, err
		}
	}
	db, err := badger.Open(o)
	if err != nil {
		if isLockErr(err) {
			return nil, fmt.Errorf("%w: %s: %v", ErrLocked, dir, err)
		}
		return nil, fmt.Errorf("ledger: open badger %s: %w", dir, err)
	}
	return db, nil
}

// badgerLogger forwards Badger's errors and warnings; its info/debug chatter is
// dropped.
type badgerLogger struct{ l Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	if b.l != nil {
		b.l.Error("badger: " + fmt.Sprintf(f, a...))
	}
}

func (b badgerLogger) Warningf(f string, a ...any) {
	if b.l != nil {
		b.l.Info("badger warning: " + fmt.Sprintf(f, a...))
	}
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}

// iavlLogger adapts Logger to iavl.Logger.
type iavlLogger struct{ l Logger }

var _ iavl.Logger = iavlLogger{}

func (i iavlLogger) Info(msg string, kv ...any) {
	if i.l != nil {
		i.l.Info("iavl: "+msg, kv...)
	}
}

func (i iavlLogger) Warn(msg string, kv ...any) {
	if i.l != nil {
		i.l.Info("iavl warning: "+msg, kv...)
	}
}

func (i iavlLogger) Error(msg string, kv ...any) {
	if i.l != nil {
		i.l.Error("iavl: "+msg, kv...)
	}
}
func (iavlLogger) Debug(string, ...any) {}

type nopLogger struct{}

func (nopLogger) Info(string, ...any)  {}
func (nopLogger) Error(string, ...any) {}

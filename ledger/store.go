package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corestore "cosmossdk.io/core/store"
	"github.com/cosmos/iavl"
	dbm "github.com/cosmos/iavl/db"
	"github.com/dgraph-io/badger/v4"
)

// Key namespaces inside Badger: iavl's nodes and metadata under treePrefix,
// the Store's own records under metaPrefix. Neither is a prefix of the other.
var (
	treePrefix = []byte("t/")
	metaPrefix = []byte("m/")
	markerKey  = append(bytes.Clone(metaPrefix), "commit"...)
)

// maxInitialVersion keeps versions far from int64 overflow.
const maxInitialVersion = 1 << 62

// CommitInfo identifies a committed version.
type CommitInfo struct {
	Version int64
	Hash    []byte
}

// KV is one key/value pair returned by Iterate and IterateAt.
type KV struct {
	Key, Value []byte
}

// Store is the versioned, Merkleised key/value state of the ledger. See doc.go
// for the contract. Safe for concurrent use.
type Store struct {
	// life is held shared by every operation and exclusively by Close, so Close
	// waits for operations in flight and nothing touches a closed database.
	life   sync.RWMutex
	closed bool // guarded by life

	// mu guards the in-memory tree. Writers (Set, SetOnce, Delete, Commit,
	// Rollback, WorkingHash) hold it exclusively; every read, of the working
	// state or of a committed version, holds it shared. Reads of committed
	// versions need it too: iavl's Set clones the nodes on the path it rewrites
	// and clears the child pointers of the originals, which committed versions
	// share in memory (a data race under -race otherwise).
	mu     sync.RWMutex
	tree   *iavl.MutableTree
	failed error // non-nil after a Commit failed part-way; guarded by mu

	last atomic.Pointer[CommitInfo]
	// latest is the tree of the last committed version, loaded once per
	// Commit (and at open) so that reads at that version, which CheckTx and
	// most queries make, do not load its root from Badger each time. Guarded
	// by mu; nil when nothing is committed.
	latest *iavl.ImmutableTree
	// written holds the keys written (Set, SetOnce, Delete) in the working
	// state since the last Commit or Rollback; lastWritten those of the last
	// committed version, lastWrittenAt that version (0: unknown, as after Open).
	// Guarded by mu. Readers that memoise values of committed versions use
	// them to know which memoised keys are stale (Written, LastWritten).
	written       map[string]struct{}
	lastWritten   map[string]struct{}
	lastWrittenAt int64

	opts Options
	log  Logger
	bdb  *badger.DB // nil when InMemory
	// syncWrites: Badger syncs every write before it returns (SyncWrites, the
	// default; off with NoSync). Without it and without NoSync (only when a
	// test or benchmark turns SyncWrites off through tuneBadgerOptions) the
	// Store syncs explicitly at the end of each commit, as before SyncWrites.
	syncWrites bool
	logDirs    []logDir // Badger's Dir and (if different) ValueDir; guarded by mu
	dirKey     string   // entry in openDirs; "" when InMemory
	gcStop     chan struct{}
	gcDone     chan struct{}
	closeOnce  sync.Once
}

// openDirs is the process-wide set of directories with an open Store. Badger's
// flock also refuses a second open, but this gives the same clear error inside
// one process without relying on lock semantics of the platform.
var openDirs = struct {
	sync.Mutex
	m map[string]struct{}
}{m: map[string]struct{}{}}

func claimDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("ledger: resolve %s: %w", dir, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	openDirs.Lock()
	defer openDirs.Unlock()
	if _, ok := openDirs.m[abs]; ok {
		return "", fmt.Errorf("%w: %s is already open in this process", ErrLocked, abs)
	}
	openDirs.m[abs] = struct{}{}
	return abs, nil
}

func releaseDir(key string) {
	if key == "" {
		return
	}
	openDirs.Lock()
	delete(openDirs.m, key)
	openDirs.Unlock()
}

func isLockErr(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Cannot acquire directory lock")
}

// Open opens the store in dir (created if missing) and loads the last committed
// version. A tree found ahead of the commit marker (a crash during Commit) is
// rolled back to the marker. A second Open of the same dir, in this process or
// another, fails with ErrLocked.
func Open(dir string, opts Options) (*Store, error) {
	if opts.CacheSize < 0 {
		return nil, fmt.Errorf("ledger: CacheSize %d is negative (0 means DefaultCacheSize)", opts.CacheSize)
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.KeepRecent < 0 {
		return nil, fmt.Errorf("ledger: KeepRecent %d must not be negative", opts.KeepRecent)
	}
	if opts.InitialVersion > maxInitialVersion {
		return nil, fmt.Errorf("ledger: InitialVersion %d above %d", opts.InitialVersion, uint64(maxInitialVersion))
	}
	lg := opts.Logger
	if lg == nil {
		lg = nopLogger{}
	}
	s := &Store{opts: opts, log: lg}
	for _, p := range opts.WriteOncePrefixes {
		if len(p) == 0 {
			return nil, fmt.Errorf("ledger: empty write-once prefix: %w", ErrEmptyKey)
		}
	}

	if opts.InMemory {
		s.tree = s.newTree(dbm.NewMemDB())
		if _, err := s.tree.Load(); err != nil {
			return nil, fmt.Errorf("ledger: load memdb tree: %w", err)
		}
		s.last.Store(&CommitInfo{})
		return s, nil
	}

	key, err := claimDir(dir)
	if err != nil {
		return nil, err
	}
	s.dirKey = key
	bo := badgerOptions(dir, opts.Logger)
	if opts.NoSync {
		bo.SyncWrites = false
	}
	if tuneBadgerOptions != nil {
		tuneBadgerOptions(&bo)
	}
	bdb, err := openBadger(dir, bo)
	if err != nil {
		releaseDir(key)
		return nil, err
	}
	s.bdb = bdb
	s.syncWrites = bo.SyncWrites
	s.logDirs = []logDir{{path: bo.Dir}}
	if filepath.Clean(bo.ValueDir) != filepath.Clean(bo.Dir) {
		s.logDirs = append(s.logDirs, logDir{path: bo.ValueDir})
	}
	if err := s.recover(); err != nil {
		_ = bdb.Close()
		releaseDir(key)
		return nil, err
	}
	s.gcStop, s.gcDone = make(chan struct{}), make(chan struct{})
	go s.gcLoop()
	return s, nil
}

func (s *Store) newTree(db dbm.DB) *iavl.MutableTree {
	o := []iavl.Option{
		iavl.SyncOption(!s.opts.NoSync && !s.opts.InMemory),
		iavl.FlushThresholdOption(iavlFlushBytes),
	}
	if s.opts.InitialVersion > 1 {
		o = append(o, iavl.InitialVersionOption(s.opts.InitialVersion))
	}
	// skipFastStorageUpgrade=true: no fast-node index; see doc.go.
	return iavl.NewMutableTree(db, s.opts.CacheSize, true, iavlLogger{s.opts.Logger}, o...)
}

// recover loads the tree at the commit marker, rolling back anything after it.
func (s *Store) recover() error {
	marker, err := s.readMarker()
	if err != nil {
		return err
	}
	tree := s.newTree(newBadgerView(s.bdb, treePrefix))
	latest, err := tree.GetLatestVersion()
	if err != nil {
		return fmt.Errorf("ledger: read latest version: %w", err)
	}
	switch {
	case marker.Version == 0 && latest == 0:
		if _, err := tree.Load(); err != nil {
			return fmt.Errorf("ledger: load empty tree: %w", err)
		}
	case marker.Version == 0:
		// The first version was being saved when the process died: it was never
		// acknowledged, so drop every tree key.
		s.log.Info("ledger: discarding uncommitted first version", "tree_version", latest)
		if err := s.bdb.DropPrefix(treePrefix); err != nil {
			return fmt.Errorf("ledger: drop uncommitted tree: %w", err)
		}
		tree = s.newTree(newBadgerView(s.bdb, treePrefix))
		if _, err := tree.Load(); err != nil {
			return fmt.Errorf("ledger: load empty tree: %w", err)
		}
	case latest < marker.Version:
		return fmt.Errorf("%w: commit marker at version %d but tree ends at %d", ErrVersionNotFound, marker.Version, latest)
	case latest == marker.Version:
		if _, err := tree.LoadVersion(marker.Version); err != nil {
			return fmt.Errorf("ledger: load version %d: %w", marker.Version, err)
		}
	default:
		s.log.Info("ledger: rolling back tree to commit marker", "tree_version", latest, "marker_version", marker.Version)
		if err := tree.LoadVersionForOverwriting(marker.Version); err != nil {
			return fmt.Errorf("ledger: roll back to version %d: %w", marker.Version, err)
		}
	}
	if marker.Version > 0 {
		if got := tree.Hash(); !bytes.Equal(got, marker.Hash) {
			return fmt.Errorf("%w: marker hash %X at version %d, tree hash %X", ErrCorruptMarker, marker.Hash, marker.Version, got)
		}
	}
	s.tree = tree
	s.last.Store(&marker)
	s.latest = nil
	if marker.Version > 0 {
		if s.latest, err = tree.GetImmutable(marker.Version); err != nil {
			return fmt.Errorf("ledger: load version %d: %w", marker.Version, err)
		}
	}
	return nil
}

func (s *Store) readMarker() (CommitInfo, error) {
	var raw []byte
	err := s.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(markerKey)
		if err != nil {
			return err
		}
		raw, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return CommitInfo{}, nil
	}
	if err != nil {
		return CommitInfo{}, fmt.Errorf("ledger: read commit marker: %w", err)
	}
	return DecodeMarker(raw)
}

// writeMarker makes the version the tree just saved durable, then writes the
// commit marker durably (see doc.go, "Durability"). With SyncWrites every
// Badger write, the tree's and the marker's, was synced when it returned;
// what is left is the names of the log files created meanwhile, made durable
// by syncLogDirs before the marker (files holding tree nodes) and by
// syncMarkerWAL after it (a WAL the marker's own write created).
func (s *Store) writeMarker(c CommitInfo) error {
	raw, err := EncodeMarker(c)
	if err != nil {
		return err
	}
	if s.syncWrites {
		if err := s.syncLogDirs(); err != nil {
			return err
		}
	}
	if markerHook != nil {
		markerHook(beforeMarker)
	}
	if err := s.bdb.Update(func(txn *badger.Txn) error { return txn.Set(markerKey, raw) }); err != nil {
		return fmt.Errorf("ledger: write commit marker: %w", err)
	}
	switch {
	case s.syncWrites:
		if err := s.syncMarkerWAL(); err != nil {
			return err
		}
	case !s.opts.NoSync:
		// SyncWrites turned off by a test: the explicit sync of the code before
		// SyncWrites (active memtable WAL and current value log only).
		if err := s.bdb.Sync(); err != nil {
			return fmt.Errorf("ledger: sync commit marker: %w", err)
		}
	}
	if markerHook != nil {
		markerHook(afterMarker)
	}
	return nil
}

// markerStage says where in writeMarker markerHook is called.
type markerStage int

const (
	beforeMarker markerStage = iota // the tree is saved, the marker not written yet
	afterMarker                     // the marker is written; Commit returns next
)

// markerHook, when set, is called by every Commit of a Badger store before and
// after the marker is written (tests). nil in production.
var markerHook func(markerStage)

// logDir is what syncLogDirs knows of one of Badger's directories.
type logDir struct {
	path    string
	f       *os.File            // the directory, opened at the first listing; closed by Close
	names   map[string]struct{} // .mem and .vlog files at the last listing
	maxMem  int                 // highest memtable WAL number at the last listing
	mtime   time.Time           // the directory's mtime at the last listing
	settled bool                // mtime was older than dirSettle at the last listing
}

// dirSettle: a directory whose mtime is older than this is "settled": any
// later creation in it gets a later timestamp, whatever the granularity of the
// file system's timestamps (a jiffy on Linux; 1 s on ext4 with 128-byte
// inodes; 2 s on FAT, the coarsest).
const dirSettle = 2 * time.Second

// Counters of syncLogDirs (tests).
var logDirListings, logDirSyncs atomic.Int64

// syncLogDirs fsyncs Badger's directory when a memtable WAL (.mem) or
// value-log file (.vlog) appeared in it since the last call. Badger v4.9.6
// does not: newMemTable and createVlogFile open their files through
// z.OpenMmapFile, whose directory sync runs only for a file it leaves empty,
// never for these (sized at creation). Their contents are synced (SyncWrites),
// but without a directory sync a file system may lose the name of a file
// created just before a power loss (ext4, XFS and btrfs persist it with the
// file's own fsync; POSIX does not promise it).
//
// Listing a directory of a few hundred tables costs tens of µs, so it is
// skipped when the directory's mtime is unchanged since a listing taken when
// that mtime was already settled: a file created since would have moved it.
// Caller holds mu.
func (s *Store) syncLogDirs() error {
	for i := range s.logDirs {
		if err := s.syncLogDir(&s.logDirs[i], false); err != nil {
			return err
		}
	}
	return nil
}

// syncMarkerWAL makes the name of the memtable WAL the marker went to durable
// if the marker's write created it. The marker is one small entry (no value
// log), so the only file its write can create is the next memtable WAL,
// numbered one past the highest at the listing syncLogDirs just did or
// confirmed (WALs are numbered in creation order, and one is deleted only
// after a later one exists): one stat instead of a second listing.
func (s *Store) syncMarkerWAL() error {
	d := &s.logDirs[0] // Badger's Dir holds the memtable WALs
	next := filepath.Join(d.path, fmt.Sprintf("%05d.mem", d.maxMem+1))
	_, err := os.Stat(next)
	switch {
	case err == nil:
		return s.syncLogDir(d, true)
	case errors.Is(err, os.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("ledger: stat %s: %w", next, err)
	}
}

// syncLogDir is syncLogDirs for one directory; force lists it even when
// settled.
func (s *Store) syncLogDir(d *logDir, force bool) error {
	if d.f == nil {
		f, err := os.Open(d.path)
		if err != nil {
			return fmt.Errorf("ledger: open directory %s: %w", d.path, err)
		}
		d.f = f
	}
	fi, err := d.f.Stat()
	if err != nil {
		return fmt.Errorf("ledger: stat %s: %w", d.path, err)
	}
	mtime := fi.ModTime()
	if !force && d.settled && mtime.Equal(d.mtime) {
		return nil
	}
	now := time.Now()
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("ledger: rewind %s: %w", d.path, err)
	}
	list, err := d.f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("ledger: list %s: %w", d.path, err)
	}
	logDirListings.Add(1)
	names := make(map[string]struct{}, len(d.names)+2)
	added, maxMem := false, 0
	for _, n := range list {
		if !isBadgerLogName(n) {
			continue
		}
		names[n] = struct{}{}
		if _, ok := d.names[n]; !ok {
			added = true
		}
		if stem, ok := strings.CutSuffix(n, ".mem"); ok {
			if fid, err := strconv.Atoi(stem); err == nil {
				maxMem = max(maxMem, fid)
			}
		}
	}
	if added {
		if err := syncDir(d.path); err != nil {
			return err
		}
		logDirSyncs.Add(1)
	}
	d.names, d.maxMem, d.mtime, d.settled = names, maxMem, mtime, now.Sub(mtime) > dirSettle
	return nil
}

func (s *Store) gcLoop() {
	defer close(s.gcDone)
	t := time.NewTicker(gcInterval)
	defer t.Stop()
	for {
		select {
		case <-s.gcStop:
			return
		case <-t.C:
			for {
				select {
				case <-s.gcStop:
					return
				default:
				}
				// Only Badger's "nothing to rewrite" ends the round normally.
				if err := s.bdb.RunValueLogGC(gcDiscardRatio); err != nil {
					if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
						s.log.Error("ledger: value log GC", "err", err)
					}
					break
				}
			}
		}
	}
}

// enter takes the shared life lock; the caller must call s.life.RUnlock.
func (s *Store) enter() error {
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return ErrClosed
	}
	return nil
}

// view runs fn with the store open and the tree under the shared lock: the
// prologue of every read.
func (s *Store) view(fn func() error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.life.RUnlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn()
}

// --- working state ---

// Get returns a copy of the value of key in the working state, or (nil, nil)
// when absent.
func (s *Store) Get(key []byte) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	var out []byte
	err := s.view(func() error {
		v, err := s.tree.Get(key)
		if err != nil {
			return fmt.Errorf("ledger: get: %w", err)
		}
		if err := checkRead(key, v); err != nil {
			return err
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// Has reports whether key is present in the working state.
func (s *Store) Has(key []byte) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	var ok bool
	err := s.view(func() error {
		var err error
		if ok, err = s.tree.Has(key); err != nil {
			return fmt.Errorf("ledger: has: %w", err)
		}
		return nil
	})
	return ok, err
}

func (s *Store) isWriteOnce(key []byte) bool {
	for _, p := range s.opts.WriteOncePrefixes {
		if bytes.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// Set writes a mutable record in the working state. The store copies key and
// value.
func (s *Store) Set(key, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkValue(value); err != nil {
		return err
	}
	if s.isWriteOnce(key) {
		return fmt.Errorf("%w: Set on %x (use SetOnce)", ErrWriteOnce, key)
	}
	return s.write(func(t *iavl.MutableTree) error {
		_, err := t.Set(bytes.Clone(key), bytes.Clone(value))
		s.noteWrite(key)
		return err
	})
}

// SetOnce writes key only if it is absent from the working state, else fails
// with ErrExists and changes nothing. See doc.go for why the working state is
// enough.
func (s *Store) SetOnce(key, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkValue(value); err != nil {
		return err
	}
	return s.write(func(t *iavl.MutableTree) error {
		ok, err := t.Has(key)
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("%w: %x", ErrExists, key)
		}
		_, err = t.Set(bytes.Clone(key), bytes.Clone(value))
		s.noteWrite(key)
		return err
	})
}

// Delete removes key from the working state; deleting an absent key is not an
// error. Keys under Options.WriteOncePrefixes cannot be deleted.
func (s *Store) Delete(key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if s.isWriteOnce(key) {
		return fmt.Errorf("%w: Delete on %x", ErrWriteOnce, key)
	}
	return s.write(func(t *iavl.MutableTree) error {
		_, _, err := t.Remove(key)
		s.noteWrite(key)
		return err
	})
}

// noteWrite records key as written in the working state. The caller holds mu.
func (s *Store) noteWrite(key []byte) {
	if s.written == nil {
		s.written = make(map[string]struct{})
	}
	s.written[string(key)] = struct{}{}
}

// Written reports whether key was written (Set, SetOnce or Delete, whatever
// the outcome) in the working state since the last Commit or Rollback: when
// it was not, the working state holds the value of the last committed version.
func (s *Store) Written(key []byte) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.written[string(key)]
	return ok
}

// LastWritten calls fn with every key written by the last committed version,
// in no particular order, and returns that version. It returns 0 without
// calling fn when the store does not know (after Open, before its first
// Commit): a caller must then treat every key as changed. fn must not call the
// Store.
func (s *Store) LastWritten(fn func(key string)) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.lastWrittenAt == 0 {
		return 0
	}
	for k := range s.lastWritten {
		fn(k)
	}
	return s.lastWrittenAt
}

func (s *Store) write(fn func(*iavl.MutableTree) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.life.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed != nil {
		return s.failed
	}
	if err := fn(s.tree); err != nil {
		if errors.Is(err, ErrExists) {
			return err
		}
		return fmt.Errorf("ledger: write: %w", err)
	}
	return nil
}

// Iterate returns up to limit pairs of the working state whose keys start with
// prefix, in ascending key order, starting at cursor (inclusive; nil = from the
// first key with prefix). next is the cursor of the following page, nil when
// there is none. limit <= 0 means DefaultPageItems; it is capped at
// MaxPageItems, and a page stops early past MaxPageBytes.
func (s *Store) Iterate(prefix, cursor []byte, limit int) (items []KV, next []byte, err error) {
	err = s.view(func() error {
		if s.tree.IsEmpty() {
			return nil
		}
		items, next, err = page(func(start, end []byte) (corestore.Iterator, error) {
			return s.tree.Iterator(start, end, true)
		}, prefix, cursor, limit)
		return err
	})
	return items, next, err
}

// IterateAt is Iterate at a committed version.
func (s *Store) IterateAt(version int64, prefix, cursor []byte, limit int) (items []KV, next []byte, err error) {
	err = s.view(func() error {
		t, err := s.immutable(version)
		if err != nil || t.Size() == 0 {
			return err
		}
		items, next, err = page(func(start, end []byte) (corestore.Iterator, error) {
			return t.Iterator(start, end, true)
		}, prefix, cursor, limit)
		return err
	})
	return items, next, err
}

func page(open func(start, end []byte) (corestore.Iterator, error), prefix, cursor []byte, limit int) ([]KV, []byte, error) {
	if len(prefix) > MaxKeyBytes || len(cursor) > MaxKeyBytes {
		return nil, nil, fmt.Errorf("%w: prefix or cursor", ErrKeyTooLarge)
	}
	if limit <= 0 {
		limit = DefaultPageItems
	}
	limit = min(limit, MaxPageItems)
	var start []byte
	if len(prefix) > 0 {
		start = prefix
	}
	if len(cursor) > 0 && bytes.Compare(cursor, start) > 0 {
		start = cursor
	}
	end := prefixEnd(prefix)
	if start != nil && end != nil && bytes.Compare(start, end) >= 0 {
		return nil, nil, nil // cursor past the prefix range
	}
	it, err := open(start, end)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: iterator: %w", err)
	}
	defer it.Close()
	var (
		items  []KV
		bytesN int
	)
	for ; it.Valid(); it.Next() {
		k := it.Key()
		if !bytes.HasPrefix(k, prefix) { // defensive: the bounds already ensure it
			break
		}
		if len(items) >= limit || (len(items) > 0 && bytesN >= MaxPageBytes) {
			return items, bytes.Clone(k), nil
		}
		v := it.Value()
		if err := checkRead(k, v); err != nil {
			return nil, nil, err
		}
		items = append(items, KV{Key: bytes.Clone(k), Value: bytes.Clone(v)})
		bytesN += len(k) + len(v)
	}
	if err := it.Error(); err != nil {
		return nil, nil, fmt.Errorf("ledger: iterate: %w", err)
	}
	return items, nil, nil
}

// WorkingHash returns the root hash the next Commit will produce.
func (s *Store) WorkingHash() []byte {
	if s.enter() != nil {
		return nil
	}
	defer s.life.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.tree.WorkingHash())
}

// WorkingVersion returns the version the next Commit will create.
func (s *Store) WorkingVersion() int64 {
	if s.enter() != nil {
		return 0
	}
	defer s.life.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tree.WorkingVersion()
}

// Rollback discards every uncommitted change of the working state.
func (s *Store) Rollback() {
	if s.enter() != nil {
		return
	}
	defer s.life.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed == nil {
		s.tree.Rollback()
		clear(s.written)
	}
}

// Commit saves the working state as a new version, durably, then writes the
// commit marker. It returns the new root hash and version. On error the store
// refuses further writes (ErrFailed): Close and reopen it.
func (s *Store) Commit() ([]byte, int64, error) {
	if err := s.enter(); err != nil {
		return nil, 0, err
	}
	defer s.life.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed != nil {
		return nil, 0, s.failed
	}
	hash, version, err := s.tree.SaveVersion()
	if err != nil {
		s.failed = fmt.Errorf("%w: save version: %v", ErrFailed, err)
		return nil, 0, s.failed
	}
	ci := CommitInfo{Version: version, Hash: bytes.Clone(hash)}
	if s.bdb != nil {
		if err := s.writeMarker(ci); err != nil {
			s.failed = fmt.Errorf("%w: %v", ErrFailed, err)
			return nil, 0, s.failed
		}
	}
	s.last.Store(&ci)
	s.lastWritten, s.written, s.lastWrittenAt = s.written, nil, version
	if s.lastWritten == nil {
		s.lastWritten = map[string]struct{}{}
	}
	// A failure here only costs the shortcut: immutable loads the version.
	s.latest, _ = s.tree.GetImmutable(version)
	if s.opts.KeepRecent > 0 {
		s.prune(version)
	}
	return bytes.Clone(hash), version, nil
}

// prune deletes versions older than the latest KeepRecent. A failure is logged,
// not returned: the commit itself succeeded and pruning retries next time.
func (s *Store) prune(latest int64) {
	to := latest - s.opts.KeepRecent
	first := int64(s.firstVersion())
	if to < first || to <= 0 {
		return
	}
	if err := s.tree.DeleteVersionsTo(to); err != nil {
		s.log.Error("ledger: prune", "to_version", to, "err", err)
	}
}

func (s *Store) firstVersion() int {
	vs := s.tree.AvailableVersions()
	if len(vs) == 0 {
		return 0
	}
	return vs[0]
}

// LastCommit returns the last committed version and its hash. Before the
// first commit it is {Version: 0, Hash: nil}.
func (s *Store) LastCommit() CommitInfo {
	c := s.last.Load()
	if c == nil {
		return CommitInfo{}
	}
	return CommitInfo{Version: c.Version, Hash: bytes.Clone(c.Hash)}
}

// VersionExists reports whether version v is committed and still stored.
func (s *Store) VersionExists(v int64) bool {
	if s.enter() != nil {
		return false
	}
	defer s.life.RUnlock()
	return s.versionExists(v)
}

func (s *Store) versionExists(v int64) bool {
	last := s.last.Load()
	return v > 0 && last != nil && v <= last.Version && s.tree.VersionExists(v)
}

// immutable returns the tree at a committed version. The caller holds life.
func (s *Store) immutable(version int64) (*iavl.ImmutableTree, error) {
	if t := s.latest; t != nil && t.Version() == version && s.last.Load().Version == version {
		return t, nil
	}
	if !s.versionExists(version) {
		return nil, fmt.Errorf("%w: %d", ErrVersionNotFound, version)
	}
	t, err := s.tree.GetImmutable(version)
	if err != nil {
		if errors.Is(err, iavl.ErrVersionDoesNotExist) {
			return nil, fmt.Errorf("%w: %d", ErrVersionNotFound, version)
		}
		return nil, fmt.Errorf("ledger: load version %d: %w", version, err)
	}
	return t, nil
}

// GetAt returns a copy of the value of key at a committed version, (nil, nil)
// when absent there, ErrVersionNotFound when the version is not stored.
func (s *Store) GetAt(key []byte, version int64) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	var out []byte
	err := s.view(func() error {
		t, err := s.immutable(version)
		if err != nil {
			return err
		}
		v, err := t.Get(key)
		if err != nil {
			return fmt.Errorf("ledger: get at %d: %w", version, err)
		}
		if err := checkRead(key, v); err != nil {
			return err
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// Close stops the GC, closes the database and releases the directory. The
// first call returns the close error; later calls return ErrClosed.
func (s *Store) Close() error {
	err := ErrClosed
	s.closeOnce.Do(func() {
		s.life.Lock()
		defer s.life.Unlock()
		s.closed = true
		err = nil
		if s.gcStop != nil {
			close(s.gcStop)
			<-s.gcDone
		}
		if cerr := s.tree.Close(); cerr != nil {
			err = fmt.Errorf("ledger: close tree: %w", cerr)
		}
		if s.bdb != nil {
			if cerr := s.bdb.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("ledger: close badger: %w", cerr)
			}
		}
		for _, d := range s.logDirs {
			if d.f != nil {
				_ = d.f.Close()
			}
		}
		releaseDir(s.dirKey)
	})
	return err
}

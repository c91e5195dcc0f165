package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cosmos/iavl"
	dbm "github.com/cosmos/iavl/db"
	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/poaledger/poaledger/app/api"
)

// Benchmarks (make bench): nothing here runs in a plain `go test`; all the
// expensive setup happens inside Benchmark functions, once per process.
//
//	POALEDGER_BENCH_KEYS      size of the base tree (default 1,000,000)
//	POALEDGER_BENCH_SYNC      1 = fsync every commit on every backend (default: off on
//	                          all, like the figures in DESIGN.md)
//	POALEDGER_BENCH_CACHE     iavl node cache size of every backend (default
//	                          DefaultCacheSize)
//	POALEDGER_BENCH_BACKENDS  comma-separated backends of BenchmarkCommit (default
//	                          badger,goleveldb,goleveldb-4m,memdb; also badger-v0,
//	                          the Badger settings before the tuning of doc.go, for
//	                          A/B runs)
//
// What BenchmarkCommit measures: the time of a block of writes plus its Commit
// (iavl SaveVersion, plus the commit marker on Badger), without fsync unless
// POALEDGER_BENCH_SYNC=1. "badger" is the ledger Store; "goleveldb",
// "goleveldb-4m" and "memdb" are bare iavl trees over iavl's own goleveldb and
// in-memory backends with the Store's iavl settings (same node cache size, no
// fast-node index, same sync), so they differ from "badger" only in the
// database under iavl. goleveldb uses iavl's default batch flush threshold
// (100 kB), goleveldb-4m the Store's (4 MiB); neither is faster everywhere (see
// iavlDefaultFlushBytes), so Badger is compared with the better of the two.
// memdb is the ceiling: iavl's cost alone, without any storage. The backends of one cell run one after another, so a noisy
// machine affects them alike; compare them within one run.

func benchKeys() int {
	if n, err := strconv.Atoi(os.Getenv("POALEDGER_BENCH_KEYS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

func benchSync() bool { return os.Getenv("POALEDGER_BENCH_SYNC") == "1" }

// benchCache is the iavl node cache size of every backend.
func benchCache() int {
	if n, err := strconv.Atoi(os.Getenv("POALEDGER_BENCH_CACHE")); err == nil && n > 0 {
		return n
	}
	return DefaultCacheSize
}

func benchBackends() []string {
	if v := os.Getenv("POALEDGER_BENCH_BACKENDS"); v != "" {
		return strings.Split(v, ",")
	}
	return []string{"badger", "goleveldb", "goleveldb-4m", "memdb"}
}

// iavlDefaultFlushBytes is iavl's own batch flush threshold. goleveldb keeps
// it: iavl's goleveldb batch preallocates the whole threshold on every flush
// (two 4 MiB allocations per commit with the Store's iavlFlushBytes, which
// makes goleveldb several times slower on small blocks), so the default is
// goleveldb's faster setting and the comparison does not favour Badger.
const iavlDefaultFlushBytes = 100_000

// benchIAVL opens a bare iavl tree over db with the iavl settings the Store
// uses (newTree: node cache size, no fast-node index, sync), so backends differ
// only in the database under iavl (and the flush threshold, see
// iavlDefaultFlushBytes).
func benchIAVL(b *testing.B, db dbm.DB, sync bool, flushBytes int) *iavl.MutableTree {
	tr := iavl.NewMutableTree(db, benchCache(), true, iavl.NewNopLogger(),
		iavl.SyncOption(sync), iavl.FlushThresholdOption(flushBytes))
	if _, err := tr.Load(); err != nil {
		b.Fatal(err)
	}
	return tr
}

// badgerV0 reproduces the Badger settings before the tuning described in
// doc.go (the "badger-v0" backend, for A/B runs).
func badgerV0(o *badger.Options) {
	o.Compression = options.Snappy
	o.BlockCacheSize = 64 << 20
	o.IndexCacheSize = 32 << 20
	o.ValueThreshold = 4 << 10
}

// benchTree is what the commit benchmark drives: the ledger Store over Badger,
// or a bare iavl tree over iavl's goleveldb backend.
type benchTree interface {
	set(k, v []byte) error
	commit() error
	latest() int64
}

type storeTree struct{ s *Store }

func (t storeTree) set(k, v []byte) error { return t.s.Set(k, v) }
func (t storeTree) commit() error         { _, _, err := t.s.Commit(); return err }
func (t storeTree) latest() int64         { return t.s.LastCommit().Version }

type levelTree struct{ t *iavl.MutableTree }

// set copies like Store.Set does: iavl keeps the slices it is given.
func (t levelTree) set(k, v []byte) error {
	_, err := t.t.Set(bytes.Clone(k), bytes.Clone(v))
	return err
}
func (t levelTree) commit() error { _, _, err := t.t.SaveVersion(); return err }
func (t levelTree) latest() int64 { return t.t.Version() }

// baseKey i of the base tree: sha256(i), so keys spread uniformly; random-key
// writes (baseKey of fresh counters) then land anywhere in the tree.
func baseKey(i uint64) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, i))
	return h[:]
}

// seqKey is an append key: 0xffff + big-endian counter sorts after every base key
// (but ~1/65536 of them), like an event log's sequence numbers.
func seqKey(i uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{0xff, 0xff}, i)
}

var baseTrees = struct {
	sync.Mutex
	m    map[string]benchTree
	dirs []string
}{m: map[string]benchTree{}}

// TestMain removes the benchmarks' base trees when the process ends.
func TestMain(m *testing.M) {
	code := m.Run()
	baseTrees.Lock()
	for _, t := range baseTrees.m {
		switch t := t.(type) {
		case storeTree:
			_ = t.s.Close()
		case levelTree:
			_ = t.t.Close()
		}
	}
	for _, d := range baseTrees.dirs {
		_ = os.RemoveAll(d)
	}
	baseTrees.Unlock()
	os.Exit(code)
}

// baseTree returns the backend's tree holding benchKeys() keys, built once per
// process in a temporary directory that TestMain removes at exit.
func baseTree(b *testing.B, backend string) benchTree {
	baseTrees.Lock()
	defer baseTrees.Unlock()
	if t, ok := baseTrees.m[backend]; ok {
		return t
	}
	dir, err := os.MkdirTemp("", "poaledger-bench-"+backend+"-")
	if err != nil {
		b.Fatal(err)
	}
	baseTrees.dirs = append(baseTrees.dirs, dir)
	var t benchTree
	switch backend {
	case "badger", "badger-v0":
		if backend == "badger-v0" {
			tuneBadgerOptions = badgerV0
		}
		s, err := Open(dir, Options{NoSync: !benchSync(), CacheSize: benchCache()})
		tuneBadgerOptions = nil
		if err != nil {
			b.Fatal(err)
		}
		t = storeTree{s}
	case "goleveldb", "goleveldb-4m":
		ldb, err := dbm.NewGoLevelDB("bench", dir)
		if err != nil {
			b.Fatal(err)
		}
		flush := iavlDefaultFlushBytes
		if backend == "goleveldb-4m" {
			flush = iavlFlushBytes
		}
		t = levelTree{benchIAVL(b, ldb, benchSync(), flush)}
	case "memdb":
		t = levelTree{benchIAVL(b, dbm.NewMemDB(), false, iavlFlushBytes)}
	default:
		b.Fatalf("unknown backend %s", backend)
	}
	n := benchKeys()
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = baseKey(uint64(i))
	}
	// Inserting in key order builds the same balanced tree as any order, at
	// append speed.
	slices.SortFunc(keys, bytes.Compare)
	start := time.Now()
	val := make([]byte, 64)
	const block = 10_000
	for i, k := range keys {
		binary.BigEndian.PutUint64(val, uint64(i))
		if err := t.set(k, val); err != nil {
			b.Fatal(err)
		}
		if (i+1)%block == 0 || i == n-1 {
			if err := t.commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("built %s base tree: %d keys in %s (dir %s)", backend, n, time.Since(start).Round(time.Millisecond), dir)
	baseTrees.m[backend] = t
	return t
}

// BenchmarkCommit: one iteration = one block of `writes` writes plus Commit, on
// a tree of benchKeys() keys.
func BenchmarkCommit(b *testing.B) {
	// Fresh keys, never colliding with base keys; one counter per backend so
	// every backend gets the same key sequence.
	counters := map[string]*uint64{}
	for _, pattern := range []string{"seq", "rand"} {
		for _, valueBytes := range []int{64, 1024} {
			for _, writes := range []int{1, 100, 1000} {
				for _, backend := range benchBackends() {
					if counters[backend] == nil {
						counters[backend] = new(uint64)
						*counters[backend] = 1 << 40
					}
					counter := counters[backend]
					name := fmt.Sprintf("%s/value=%d/writes=%d/%s", pattern, valueBytes, writes, backend)
					b.Run(name, func(b *testing.B) {
						t := baseTree(b, backend)
						rng := rand.New(rand.NewPCG(uint64(writes), uint64(valueBytes)))
						val := make([]byte, valueBytes)
						b.ResetTimer()
						start := time.Now()
						var inCommit time.Duration
						for range b.N {
							for range writes {
								*counter++
								k := seqKey(*counter)
								if pattern == "rand" {
									k = baseKey(*counter)
								}
								for j := range val {
									val[j] = byte(rng.Uint32())
								}
								if err := t.set(k, val); err != nil {
									b.Fatal(err)
								}
							}
							c := time.Now()
							if err := t.commit(); err != nil {
								b.Fatal(err)
							}
							inCommit += time.Since(c)
						}
						el := time.Since(start)
						b.ReportMetric(float64(b.N*writes)/el.Seconds(), "writes/s")
						// Share of the time in Commit (the rest is the writes).
						b.ReportMetric(100*inCommit.Seconds()/el.Seconds(), "commit-%")
					})
				}
			}
		}
	}
}

// BenchmarkProve: an ICS23 proof for a random base key at the latest version,
// generated and verified.
func BenchmarkProve(b *testing.B) {
	t := baseTree(b, "badger").(storeTree)
	lc := t.s.LastCommit()
	n := uint64(benchKeys())
	rng := rand.New(rand.NewPCG(7, 7))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		k := baseKey(rng.Uint64N(n))
		start := time.Now()
		proof, val, err := t.s.Prove(k, lc.Version)
		if err != nil {
			b.Fatal(err)
		}
		if err := api.VerifyProof(proof, lc.Hash, k, val); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}

var diskResults = struct {
	sync.Mutex
	m map[string][2]float64
}{m: map[string][2]float64{}}

// BenchmarkDiskBytesPerRecord: 100,000 records of 1 KiB (random bytes) in
// blocks of 1,000, then the space of the directory per record. The experiment
// runs once per backend and process whatever b.N is.
func BenchmarkDiskBytesPerRecord(b *testing.B) {
	for _, backend := range []string{"badger", "goleveldb"} {
		b.Run(backend, func(b *testing.B) {
			diskResults.Lock()
			defer diskResults.Unlock()
			r, ok := diskResults.m[backend]
			if !ok {
				r = diskExperiment(b, backend)
				diskResults.m[backend] = r
			}
			b.ReportMetric(r[0], "bytes/record")
			b.ReportMetric(r[1], "apparent-bytes/record")
		})
	}
}

func diskExperiment(b *testing.B, backend string) [2]float64 {
	const records, block, valueBytes = 100_000, 1_000, 1024
	dir := b.TempDir()
	var t benchTree
	var closeFn func() error
	switch backend {
	case "badger":
		s, err := Open(dir, Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		t, closeFn = storeTree{s}, s.Close
	default:
		ldb, err := dbm.NewGoLevelDB("bench", dir)
		if err != nil {
			b.Fatal(err)
		}
		t, closeFn = levelTree{benchIAVL(b, ldb, false, iavlDefaultFlushBytes)}, ldb.Close
	}
	rng := rand.New(rand.NewPCG(1, 1))
	val := make([]byte, valueBytes)
	for i := range records {
		for j := range val {
			val[j] = byte(rng.Uint32())
		}
		if err := t.set(seqKey(uint64(i)), val); err != nil {
			b.Fatal(err)
		}
		if (i+1)%block == 0 {
			if err := t.commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := closeFn(); err != nil {
		b.Fatal(err)
	}
	syscall.Sync() // let delayed allocation settle before counting blocks
	alloc, apparent := dirBytes(b, dir)
	return [2]float64{float64(alloc) / records, float64(apparent) / records}
}

// dirBytes is the space allocated to the files under dir (sparse, preallocated
// files count only what they use).
func dirBytes(b *testing.B, dir string) (alloc, apparent int64) {
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		apparent += fi.Size()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			alloc += st.Blocks * 512
		} else {
			alloc += fi.Size()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return alloc, apparent
}

// BenchmarkSyncWrites measures what making every commit durable against power
// loss costs (doc.go, "Durability"): one iteration commits one block of
// `writes` sequential 1 KiB writes on each of three stores, in alternating
// order, all in the same run:
//
//	before      the code before SyncWrites: SyncWrites off, DB.Sync after the
//	            last batch of SaveVersion and after the marker (a rotated
//	            memtable's WAL can stay unsynced)
//	syncwrites  the Store as it is: SyncWrites on, directory sync for new log files
//	nosync      Options.NoSync, no fsync at all (the floor)
//
// Reported: µs per block of each, and ratio = syncwrites / before.
func BenchmarkSyncWrites(b *testing.B) {
	for _, writes := range []int{10, 1000} {
		b.Run(fmt.Sprintf("writes=%d", writes), func(b *testing.B) {
			modes := []struct {
				name       string
				syncWrites bool
				noSync     bool
			}{{"before", false, false}, {"syncwrites", true, false}, {"nosync", false, true}}
			stores := make([]*Store, len(modes))
			for i, m := range modes {
				tuneBadgerOptions = func(o *badger.Options) { o.SyncWrites = m.syncWrites }
				s, err := Open(b.TempDir(), Options{NoSync: m.noSync})
				tuneBadgerOptions = nil
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				stores[i] = s
			}
			val := make([]byte, 1024)
			seq := make([]uint64, len(modes))
			spent := make([]time.Duration, len(modes))
			block := func(i int) {
				s := stores[i]
				start := time.Now()
				for range writes {
					seq[i]++
					binary.BigEndian.PutUint64(val, seq[i])
					if err := s.Set(seqKey(seq[i]), val); err != nil {
						b.Fatal(err)
					}
				}
				if _, _, err := s.Commit(); err != nil {
					b.Fatal(err)
				}
				spent[i] += time.Since(start)
			}
			b.ResetTimer()
			for n := range b.N {
				for j := range modes {
					block((n + j) % len(modes)) // rotate which store goes first
				}
			}
			b.StopTimer()
			for i, m := range modes {
				b.ReportMetric(float64(spent[i].Microseconds())/float64(b.N), "µs/block-"+m.name)
			}
			b.ReportMetric(spent[1].Seconds()/spent[0].Seconds(), "ratio")
		})
	}
}

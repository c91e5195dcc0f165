package app

import (
	"errors"
	"sync"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/ledger"
)

// absentPrefixes are the key prefixes the absent filter covers: the lookups
// every new event makes (its id, its submitted eventID) and that almost always
// find nothing. Both are write-once (api.WriteOncePrefixes): a key that exists
// in one version exists in every later one.
var absentPrefixes = []byte{api.PrefixEventID, api.PrefixEventAlias}

// Sizes of the absent filter: its first Bloom filter holds absentFirstKeys
// keys; each next one, added when the last is full, twice as many, with more
// bits per key and one more hash so that the sum of the false-positive rates
// stays near 1 %.
const (
	absentFirstKeys    = 1 << 20
	absentBitsPerKey   = 10 // ~1 % false positives with 7 hashes
	absentHashes       = 7
	absentScanPageKeys = 2_000 // keys per page of the startup scan (one store lock each)
)

// absentFilter answers "certainly absent" for keys under absentPrefixes at the
// last committed version, without walking the tree: a scalable Bloom filter of
// every such key that version holds. It never answers "present": a key the
// filter may hold is read from the store as before. Since a Bloom filter has no
// false negatives, every answer the app gives is the one the tree gives; the
// filter only skips reads (TestMemoChangesNoAnswer runs it against a node
// without it; TestAbsentFilterScanAndAdvance).
//
// It is filled by a scan of the committed state in the background at start
// (pages under the store's lock, so blocks go on meanwhile) and by the keys
// each Commit wrote (ledger.Store.LastWritten). Until the scan has ended, or
// after a Commit whose written keys the store cannot name, it answers nothing
// (a new scan starts).
//
// It is node-local, holds no consensus state and no order effects reach
// state: adding is commutative, and an answer depends only on which keys were
// added. Safe for concurrent use.
type absentFilter struct {
	mu      sync.Mutex
	filters []*bloom.BloomFilter
	keys    uint // keys added to the last filter
	// at is the last committed version whose written keys were added; -1: the
	// store had no committed version when filling began.
	at    int64
	ready bool   // the scan has ended: the filter holds every key of version at
	gen   uint64 // scan generation: a restarted scan makes the old one stop
}

// start begins filling for store s (called once, before any Commit).
func (f *absentFilter) start(s *ledger.Store) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restartLocked(s)
}

// restartLocked empties the filter and scans the last committed version again.
func (f *absentFilter) restartLocked(s *ledger.Store) {
	f.filters, f.keys, f.ready = nil, 0, false
	f.gen++
	last := s.LastCommit().Version
	if last == 0 {
		f.at, f.ready = -1, true // nothing committed: nothing to scan
		return
	}
	f.at = last
	go f.scan(s, f.gen)
}

// scan adds every key under absentPrefixes of the latest committed version,
// page by page. Versions only grow the set of such keys (write-once), and
// every Commit since the scan began adds what it wrote, so the union is every
// key of version f.at when the scan ends.
func (f *absentFilter) scan(s *ledger.Store, gen uint64) {
	for _, p := range absentPrefixes {
		var cursor []byte
		for {
			var items []ledger.KV
			var next []byte
			var err error
			// Up to 4 tries: the version may be pruned between LastCommit and the read.
			for try := 0; try < 4; try++ {
				items, next, err = s.IterateAt(s.LastCommit().Version, []byte{p}, cursor, absentScanPageKeys)
				if err == nil || errors.Is(err, ledger.ErrClosed) {
					break
				}
			}
			if err != nil {
				if !errors.Is(err, ledger.ErrClosed) {
					f.mu.Lock()
					f.gen++ // give up: answer nothing rather than guess
					f.mu.Unlock()
				}
				return
			}
			f.mu.Lock()
			if f.gen != gen {
				f.mu.Unlock()
				return
			}
			for _, kv := range items {
				f.addLocked(kv.Key)
			}
			f.mu.Unlock()
			if next == nil {
				break
			}
			cursor = next
		}
	}
	f.mu.Lock()
	if f.gen == gen {
		f.ready = true
	}
	f.mu.Unlock()
}

// advance adds the keys committed version v wrote. v must follow the last
// version advanced; otherwise, or when the store cannot name them, the filter
// starts again from a scan.
func (f *absentFilter) advance(s *ledger.Store, v int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.at != -1 && v != f.at+1 {
		f.restartLocked(s)
		return
	}
	if s.LastWritten(func(k string) {
		if covered([]byte(k)) {
			f.addLocked([]byte(k))
		}
	}) != v {
		f.restartLocked(s)
		return
	}
	f.at = v
}

func (f *absentFilter) addLocked(key []byte) {
	if len(f.filters) == 0 || f.keys >= absentFirstKeys<<(len(f.filters)-1) {
		i := uint(len(f.filters))
		n := uint(absentFirstKeys) << i
		f.filters = append(f.filters, bloom.New(n*(absentBitsPerKey+2*i), absentHashes+i))
		f.keys = 0
	}
	f.filters[len(f.filters)-1].Add(key)
	f.keys++
}

// absent reports that key is certainly not in committed version v. false
// means "read the store".
func (f *absentFilter) absent(key []byte, v int64) bool {
	if !covered(key) {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.ready || f.at != v {
		return false
	}
	for _, b := range f.filters {
		if b.Test(key) {
			return false
		}
	}
	return true
}

func covered(key []byte) bool {
	if len(key) == 0 {
		return false
	}
	for _, p := range absentPrefixes {
		if key[0] == p {
			return true
		}
	}
	return false
}

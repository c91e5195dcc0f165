// Package ledger is poaledger's state store: a versioned IAVL Merkle tree
// (github.com/cosmos/iavl v1.3) persisted in Badger v4, with crash-safe
// commits, write-once records and ICS23 proofs. It is the only package that
// imports Badger and iavl.
//
// # Versions
//
// One committed version per block: version == block height. An empty store's
// first Commit creates version Options.InitialVersion (CometBFT's
// initial_height; 0 and 1 both mean 1), then every Commit adds one, also when
// nothing changed (an unchanged tree keeps its hash). WorkingVersion is the
// version the next Commit creates; WorkingHash the hash it will return, so the
// app can put it in ResponseFinalizeBlock.app_hash before Commit.
//
// LastCommit is what ABCI Info reports. Before the first commit it is
// {Version: 0, Hash: nil}: CometBFT expects an empty app hash at height 0. Note
// iavl's hash of an empty tree is sha256("") (e3b0c442...), not nil: a first
// Commit with no writes returns that hash, and WorkingHash of an empty store
// is that hash too.
//
// Versions are kept forever unless Options.KeepRecent > 0. The root hash of
// version H is the app hash that appears in block header H+1.
//
// # Reads, writes and ownership
//
// Get, Has, Set, SetOnce, Delete, Iterate, WorkingHash work on the working
// (uncommitted) state; GetAt, IterateAt and Prove on a committed version, and
// fail with ErrVersionNotFound for a version never committed or pruned. Get
// and GetAt return (nil, nil) for an absent key; a present key never returns
// nil (an empty value is []byte{}).
//
// Every slice the Store returns is a fresh copy owned by the caller. Every
// slice passed in is copied before the call returns; the caller may reuse it.
//
// Keys are 1..MaxKeyBytes bytes, values non-nil and at most MaxValueBytes. A
// violation fails with ErrEmptyKey, ErrKeyTooLarge, ErrNilValue or
// ErrValueTooLarge (wrapped; use errors.Is) and changes nothing. The limits are
// checked again on read. Nothing panics on bad input. After Close every method
// returns ErrClosed (methods without an error return zero values).
//
// Iterate and IterateAt return pairs in ascending key order (bytewise), the
// keys with the given prefix from cursor on (inclusive), at most limit
// (DefaultPageItems when limit <= 0, capped at MaxPageItems and MaxPageBytes),
// and next, the cursor of the following page, nil on the last page.
//
// # Write-once records
//
// SetOnce fails with ErrExists (and writes nothing) when the key is present in
// the working state. Checking the working state is enough because the store
// never forgets a key behind the caller's back: a key leaves the working state
// only through Delete, and Delete refuses keys under Options.WriteOncePrefixes
// (ErrWriteOnce), as does Set. Without WriteOncePrefixes, it is the caller's
// contract never to Delete or Set a write-once key. The check is deterministic:
// it depends only on the tree contents.
//
// # Durability and crash safety
//
// Commit = iavl SaveVersion, then a commit marker. iavl writes one version in
// several batches (Options flush threshold), and Badger applies a batch larger
// than one transaction (ErrTxnTooBig) in several transactions, so a version on
// disk is NOT atomic by itself. What makes it atomic is the marker:
//
//  1. SaveVersion writes all nodes of version V; its last batch is written with
//     WriteSync, which fsyncs Badger (write-ahead log and value log).
//  2. Then the marker (V, root hash, CRC-32C) is written in one Badger
//     transaction and fsynced.
//  3. Open reads the marker and loads the tree at exactly that version. Nodes
//     of a later version (a crash between 1 and 2, or inside 1) are deleted
//     with iavl's LoadVersionForOverwriting; a crash before the first marker
//     drops the partial tree. The loaded root hash must equal the marker's hash,
//     else Open fails with ErrCorruptMarker. A marker that is truncated, has a
//     bad checksum or an unknown format fails Open with ErrCorruptMarker; Open
//     never guesses.
//
// So after Commit returns, version V survives a process kill or a power loss;
// after a crash the store is at the last version whose Commit returned (or,
// at most, one whose marker was synced just before the crash). Options.NoSync
// skips the fsyncs (tests and benchmarks): a killed process still loses
// nothing, a power loss may. If Commit fails the in-memory tree may be ahead of
// the disk; the store then refuses writes with ErrFailed until it is reopened.
//
// The Badger batch (BadgerDB.NewBatch) stages operations in memory and applies
// them in order on Write, in as many transactions as needed. It is atomic for a
// reader only when it fits one transaction (MemTableSize*15%, about 4.8 MiB
// here); the Store does not rely on batch atomicity, only on the marker.
//
// iavl's data lives under the Badger key prefix "t/" and the Store's own
// records (the marker "m/commit") under "m/", so they cannot collide.
//
// # Fast-node index
//
// iavl's fast-node index (a second copy of every live value, keyed by the
// plain key) is disabled. Its entries are written before the tree nodes of a
// version and iavl does not roll them back (DeleteVersionsFrom leaves them to
// a rebuild that only triggers on a metadata mismatch), so a crash in the
// middle of SaveVersion could leave index entries of a version that never
// committed. Without the index every read walks the tree (O(log n) node reads,
// mostly from the node cache), every write stores the value once, and the
// rollback of LoadVersionForOverwriting is complete.
//
// # Badger settings (validator profile)
//
// MemTableSize 32 MiB with 2 memtables, value-log files of 128 MiB, values of
// 4 KiB and more in the value log (smaller ones inline in the LSM tree), 64 MiB
// block cache, 32 MiB index cache, 2 compactors, no conflict detection (single
// writer), L0 compacted on Close, SyncWrites off (the Store syncs at the end of
// each commit instead of on every write). An idle node thus holds little
// memory and small files. A goroutine runs the value-log GC every 10 minutes
// (discard ratio 0.5) and is stopped by Close before Badger closes.
//
// A directory can be open once: a second Open, in this process (a
// process-wide set of open directories) or in another (Badger's directory
// lock), fails with ErrLocked.
//
// # Performance (go test -run '^$' -bench . ./ledger/, 1M-key tree, 2 cores, no fsync)
//
// Blocks of 1,000 writes: sequential keys ~38k writes/s (64 B) and ~20k (1 KiB)
// on Badger vs ~78k and ~31k on iavl's goleveldb; random keys ~2k writes/s on
// Badger vs ~4k on goleveldb. Badger's read path (one read transaction per node
// fetch, index cache) is the suspect; see the issue note. ICS23 proof
// generation + verification p50 ~200 µs. Disk: ~1,160 bytes per 1 KiB record
// (goleveldb ~1,190).
//
// # Concurrency
//
// A Store is safe for concurrent use, through a readers/writer lock: reads
// (Get, Has, Iterate, GetAt, IterateAt, Prove) run in parallel with each
// other; writes (Set, SetOnce, Delete, Commit, Rollback, WorkingHash) are
// exclusive. Reads of committed versions must wait for writes because iavl's
// Set mutates in-memory nodes that committed versions share; each Set holds
// the lock for microseconds, Commit for the length of SaveVersion.
// LastCommit and VersionExists take no lock. Close waits for operations in
// flight.
//
// # Determinism
//
// Hashes depend only on the sequence of operations: the same operations on an
// in-memory store and on a Badger store give the same hash at every version.
package ledger

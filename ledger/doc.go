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
//  1. SaveVersion writes all nodes of version V. Every Badger transaction is
//     synced to disk before it returns (SyncWrites, see Power loss).
//  2. Then the marker (V, root hash, CRC-32C) is written in one Badger
//     transaction, synced the same way, and Badger's directory is synced if
//     a log file appeared (before the marker, and again after it).
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
// # Power loss: what Badger syncs, and why SyncWrites
//
// A kill loses nothing that reached the page cache; a power loss loses every
// page not yet written back. What Badger v4.9.6 writes back, read in its code:
//
//   - A write goes first to the value log (value.go valueLog.write copies
//     values of ValueThreshold bytes and more into the mmap of the current
//     NNNNNN.vlog), then to the active memtable's write-ahead log (db.go
//     writeToLSM → memtable.go memTable.Put → logFile.writeEntry into the mmap
//     of NNNNN.mem). Both are plain stores into MAP_SHARED mappings: nothing
//     reaches the disk until an msync (z.Msync, MS_SYNC) or kernel writeback.
//   - DB.Sync (db.go) syncs exactly two files: db.mt.SyncWAL(), the ACTIVE
//     memtable's WAL, and valueLog.sync, the value-log file with the highest
//     number (a no-op when SyncWrites is on).
//   - A memtable rotates in db.go ensureRoomForWrite, called by writeRequests
//     before each write request: when db.mt is full it is pushed to flushChan,
//     appended to db.imm and replaced by newMemTable, with no sync of its WAL.
//     That WAL is never synced at all: flushMemtable → handleMemTableFlush
//     writes it as a level-0 table (table.CreateTable msyncs the table,
//     manifest.addChanges syncs the manifest) and then deletes the WAL. Until
//     that flush ends, what the rotated memtable received since the last
//     DB.Sync is only in the page cache.
//   - A value-log file rotates in valueLog.write (toDisk → logFile.doneWriting
//     → z.MmapFile.Truncate, which msyncs the file before truncating it): a
//     rotated value log is synced.
//
// So with SyncWrites off and DB.Sync after the last batch of SaveVersion and
// after the marker (the Store's code before SyncWrites), a version written
// across a memtable rotation (a commit of several transactions, or of several
// iavl batches) could lose its nodes in the rotated memtable while its
// marker, in the new one, survived: after the power cut Open refuses to start
// (tree behind marker) or finds a hash mismatch. Badger's value-log GC had
// the same hole: valueLog.rewrite moves live values with batchSet, then
// deletes the old file.
//
// Badger offers no way to sync the rotated memtables (db.imm and
// memTable.SyncWAL are unexported) or to wait for their flush, and SyncWrites
// is a DB-wide option, not per transaction. So the Store opens Badger with
// SyncWrites = true, which closes the hole for every writer:
// valueLog.write syncs the current value-log file at the end of every write
// (its deferred curlf.Sync; doneWriting on a rotation), then writeToLSM syncs
// db.mt's WAL after writing each request ("if db.opt.SyncWrites { return
// db.mt.SyncWAL() }"); since ensureRoomForWrite ran before the request, that
// is the WAL the request went to, whatever rotates later. Value log first,
// then WAL: a synced WAL entry never points to unsynced value-log data.
//
// Why that is sufficient: every write the marker depends on is a Badger
// transaction of SaveVersion that returned before the marker was written, so
// its WAL entries and values were on disk when it returned; the marker's own
// transaction is on disk before Commit returns. The Store's explicit DB.Sync
// calls are skipped (badgerBatch.WriteSync and writeMarker, under SyncWrites:
// they would only repeat the fsyncs). What remains is the names of
// new files: Badger does not fsync the directory after creating a .mem or
// .vlog file (newMemTable and createVlogFile open them through
// z.OpenMmapFile, whose directory sync only runs for a file it leaves empty),
// so Commit fsyncs the directory when such a file appeared: before the marker
// (syncLogDirs, which lists the directory unless its mtime has not moved since
// a listing taken when it was already 2 s old) and after it (syncMarkerWAL:
// the marker's write can only have created the next-numbered WAL, one stat). ext4, XFS and btrfs already persist a new file's name with its first
// fsync; POSIX does not promise it. Badger's background work is its own: a
// flushed or compacted table is msynced and in the (synced) manifest before
// the WAL or tables it replaces are deleted (compactions also sync the
// directory; a flushed level-0 table's name relies on the file system
// ordering its metadata, as ext4 and XFS journals do).
//
// Cost (BenchmarkSyncWrites, -benchtime=300x -count=5): blocks of sequential
// 1 KiB writes committed on three stores in turn in the same run, fsync on:
// the code before SyncWrites (SyncWrites off, DB.Sync after SaveVersion and
// after the marker), SyncWrites, and NoSync for reference. This VM's virtual
// disk, 2 cores shared with other jobs (load 3-5). µs per block, median of 5
// runs; ratio SyncWrites / before, median (range):
//
//	writes  before  SyncWrites  no fsync  ratio
//	10         615         634       155  1.03 (1.02-1.06)
//	1000    16,299      16,947    13,515  1.00 (0.96-1.08)
//
// Runs under heavier load gave 0.89-1.18 and 0.87-1.14. The number of fsyncs
// is the same: for a block that fits one transaction (up to ~4.8 MiB), before,
// DB.Sync after SaveVersion (WAL + value log) and after the marker (WAL +
// value log); now, the tree's transaction (value log + WAL) and the marker's
// (value log + WAL): 4.1 msyncs per block both ways, counted with strace over
// 100 blocks of 1,000 writes. A block of several transactions pays two more
// per extra transaction. The ~20 µs at 10 writes are the directory check
// before the marker (fstat, and a listing while the directory changed in the
// last 2 s, which is always the case in a benchmark that just created it; a
// settled directory costs one fstat): with it switched off in a trial, the
// ratio at 10 writes was 0.98-1.00.
//
// Tests: TestMarkerDependsOnlyOnSyncedWrites (durability_test.go) reads the
// kernel's dirty-page accounting (/proc/self/smaps) of every .mem and .vlog
// mapping when the marker is written and when Commit returns, with 1 MiB
// memtables and flushes stalled so rotated memtables stay in memory: nothing
// may be unsynced (but for the one page past the end of a rotated value log
// that its truncation zeroes). The same workload with the settings from
// before SyncWrites must (and does) find the rotated WALs dirty at the marker.
//
// # Restart after a kill
//
// Badger creates a WAL or value-log file with O_CREATE and only then sizes it
// (ftruncate) and writes its header through the mmap (z.OpenMmapFileUsing,
// logFile.bootstrap), and z.MmapFile.Delete truncates a file to 0 bytes before
// unlinking it. A kill between those steps leaves a 0-byte NNNNN.mem or
// NNNNNN.vlog, which Badger v4.9.6 refuses on the next Open: z.OpenMmapFile
// grows the empty file and returns z.NewFile, which openMemTables and
// valueLog.open treat as an error ("Create a new file"; badger issue 2207, the
// fix proposed upstream in PR 2331 is not released). A validator would never
// restart.
//
// Before badger.Open, the Store removes those files (emptylogs.go): only
// regular files of exactly 0 bytes named like Badger's (digits, padded to 5
// for .mem and 6 for .vlog), each one logged, with Badger's directory lock
// (flock on the directory) held so a database another process has open is
// never touched, then syncs the directory. A 0-byte file holds no data (a file
// Badger writes to was sized and given a header first), so nothing refers to
// it: Badger itself deletes an empty memtable WAL on open and an empty value-log
// file that is not the last, and a missing last value-log file only makes it
// create the next one under the same number (which is also what PR 2331 does:
// treat the file as empty).
//
// Tests: TestEmptyLogFilesOnOpen creates the next-numbered 0-byte .mem and
// .vlog after a clean close and in a snapshot of a live store (the files a
// SIGKILL leaves), checks that badger.Open alone fails on them and that Open
// succeeds with every committed version intact. TestCrashRecovery SIGKILLs a
// committing child process at 50 seeded points (1 MiB memtables and value
// logs, so kills also land in file creations and deletions) and reopens after
// each; make soak runs 500 (POALEDGER_SOAK_KILLS). Both are bounded by the
// number of kills, never by a time budget (the only deadlines guard against a
// hung child, at minutes); every reopen must succeed.
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
// MemTableSize 32 MiB with 2 memtables, level 0 compacted at 8 tables (writes
// stall at 24), value-log files of 128 MiB, values of
// 512 bytes and more in the value log (smaller ones inline in the LSM tree), no
// compression, no block cache, table indices and bloom filters kept with the
// mmap'd tables (IndexCacheSize 0), 2 compactors, no conflict detection (single
// writer), no L0 compaction on Close, SyncWrites on (every write is synced before
// it returns, see Power loss; off with Options.NoSync). A goroutine runs the value-log GC
// every 10 minutes (discard ratio 0.5) and is stopped by Close before Badger
// closes.
//
// Why (measured with the benchmarks, see Performance): iavl's data is hashes,
// node keys and application values, which compress poorly, while Snappy/ZSTD
// decoding is paid on every block read of a node that misses iavl's node
// cache. Uncompressed, unencrypted tables are read directly from the mmap'd
// files, so the block cache (which would only hold copies of pages the kernel
// already caches) is off, and the table indices and bloom filters stay in the
// mmap'd tables (IndexCacheSize 0) instead of a 32 MiB cache that evicts and
// re-decodes them. Memory for these is page cache, not Go heap. The value
// threshold of 512 bytes moves leaves with values of about 0.4 KiB and more
// (for example 1 KiB records) into the value log: compactions then move only
// a pointer, which almost doubled sequential 1 KiB throughput; inner nodes
// (~100 bytes) and small leaves stay inline. iavl deletes nodes only when
// pruning (KeepRecent > 0); the value-log GC reclaims what pruning frees. None
// of these settings changes what is synced or when: crash safety (above) is
// unchanged.
//
// Level 0 (bench --parts inproc, 2026-11-30): compacting level 0 at 8 tables
// instead of 4 wrote 29 % fewer bytes on a 100k-event prefill plus 20 blocks
// (2.30 GB instead of 3.24 GB, /proc/<pid>/io). Why is not established. The
// first explanation, that every flushed table spans the commit marker
// "m/commit" (below every tree key) and the commit's nodes (above all older
// ones: iavl v1 keys a node by version and nonce), so that each L0 compaction
// rewrites the whole base level, does not hold up: a test build that skipped
// the marker's write wrote as much as the same build writing it (2.28 against
// 2.16 GB, run back to back). 8 tables of 64 MiB wrote 18 % less than the old
// settings at 400k events, but their compactions outlast a stop: with L0
// compacted on Close too, a 4-node bench missed its 15 s SIGTERM grace, so
// memtables stay at 32 MiB and Close no longer compacts L0 (the next Open's
// compactors do). Reads check at most 8 L0 tables, each behind a bloom
// filter. Moving the marker above the tree ("u/commit") wrote more, not less
// (3.93 against 3.24 GB at 100k events, 16.8 against 15.7 GB at 400k), and
// was not kept; nor was LevelSizeMultiplier 50 (-5 % bytes, worse p99).
//
// Where the remaining gap to goleveldb comes from (small blocks, seq keys): a
// Badger write transaction costs ~10 µs fixed plus ~1.9 µs per 100-byte entry
// (transaction map, versioned key, memtable WAL encoding, skiplist insert, all
// through Badger's writer goroutine), against ~0.6 µs per entry for a goleveldb
// batch; a block of one write is ~23 iavl nodes plus the marker transaction.
// Badger also msyncs every table it flushes or compacts, whatever SyncWrites
// says. Tried without a measurable gain in BenchmarkCommit (within the noise,
// so not kept): copying batch operations into arena chunks and handing Badger
// preallocated entries (10-20% faster batch writes in isolation), committing a
// batch as chunks of 32-64 entries asynchronously (Txn.CommitWith), 64 and 128
// MiB memtables, 8 level-0 tables. Badger refuses a single compactor.
//
// A directory can be open once: a second Open, in this process (a
// process-wide set of open directories) or in another (Badger's directory
// lock), fails with ErrLocked.
//
// # Performance (go test -run '^$' -bench . ./ledger/, 1M-key tree, 2 shared cores, no fsync)
//
// BenchmarkCommit (see bench_test.go for what it measures) compares the Store
// with bare iavl trees over goleveldb (iavl's default and the Store's batch
// flush threshold) and over iavl's MemDB, the ceiling. One run, writes/s,
// Badger / best goleveldb / memdb:
//
//	seq  64 B   x1 7.1k/10.0k/20.8k  x100 86k/89k/111k  x1000 79k/102k/126k
//	seq  1 KiB  x1 7.3k/7.4k/14.4k   x100 49k/64k/85k   x1000 52k/72k/83k
//	rand 64 B   x1 4.0k/3.0k/5.6k    x100 4.3k/4.8k/6.5k x1000 5.3k/5.4k/8.3k
//	rand 1 KiB  x1 3.1k/3.1k/5.5k    x100 4.0k/4.5k/7.0k x1000 5.1k/4.5k/6.6k
//
// The machine is noisy (±20% between runs); compare within a run. Blocks of
// one write are bounded by iavl's per-version cost (memdb: ~50-70 µs per
// commit), and random keys by iavl rewriting a ~20-node path per write: even
// memdb stays under 8,000 random writes/s for 1 KiB values. ICS23 proof
// generation + verification p50 ~175 µs. Disk: ~1,180 bytes per 1 KiB record
// (goleveldb ~1,130).
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

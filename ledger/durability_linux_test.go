package ledger

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// --- power loss: nothing the marker depends on is left unsynced ---

// dirtyLogPages reads /proc/self/smaps and returns, for every mapping of a
// memtable WAL (.mem) or value-log file (.vlog) under dir, its dirty memory in
// kB: pages written through the mmap and not yet written back to the disk.
// msync(MS_SYNC) (Badger's Sync) writes them back and cleans them, so a
// non-zero figure is data a power loss at this instant would lose.
func dirtyLogPages(t *testing.T, dir string) map[string]int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int{}
	cur := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") { // a mapping's header line
			cur = ""
			if len(fields) >= 6 {
				p := strings.Join(fields[5:], " ")
				if filepath.Dir(p) == dir && isBadgerLogName(filepath.Base(p)) {
					cur = filepath.Base(p)
					out[cur] += 0
				}
			}
			continue
		}
		if cur != "" && (fields[0] == "Shared_Dirty:" || fields[0] == "Private_Dirty:") && len(fields) >= 2 {
			kb, _ := strconv.Atoi(fields[1])
			out[cur] += kb
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// markerCheck is what one markerHook call saw.
type markerCheck struct {
	stage    markerStage
	dirty    map[string]int // dirty kB per mapped .mem/.vlog file
	unsynced map[string]int // the part of dirty that is unsynced data (see truncatedTail)
	mems     []string       // mapped memtable WALs, ascending: the last is the active one
	immDirty int            // dirty kB in immutable (rotated, unflushed) memtables' WALs
}

// truncatedTail is the dirty memory (kB) a rotated value-log file keeps
// without holding unsynced data: when Badger rotates a value log
// (logFile.doneWriting → z.MmapFile.Truncate) it msyncs the file, then
// truncates it to its end offset; the file system zeroes the rest of the last
// block beyond the new end, which dirties that one page again (ext4
// ext4_block_truncate_page). Its bytes before the end are the synced ones.
func truncatedTail(t *testing.T, path string) int {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	page := int64(os.Getpagesize())
	if fi.Size()%page == 0 {
		return 0
	}
	return int(page / 1024)
}

func newMarkerCheck(t *testing.T, dir string, stage markerStage) markerCheck {
	c := markerCheck{stage: stage, dirty: dirtyLogPages(t, dir), unsynced: map[string]int{}}
	var vlogs []string
	for f := range c.dirty {
		if strings.HasSuffix(f, ".mem") {
			c.mems = append(c.mems, f)
		} else {
			vlogs = append(vlogs, f)
		}
	}
	slices.Sort(c.mems)
	slices.Sort(vlogs)
	for i, f := range c.mems {
		if i < len(c.mems)-1 {
			c.immDirty += c.dirty[f]
		}
		if c.dirty[f] > 0 {
			c.unsynced[f] = c.dirty[f]
		}
	}
	for i, f := range vlogs {
		kb := c.dirty[f]
		if i < len(vlogs)-1 { // rotated
			kb -= min(kb, truncatedTail(t, filepath.Join(dir, f)))
		}
		if kb > 0 {
			c.unsynced[f] = kb
		}
	}
	return c
}

// TestMarkerDependsOnlyOnSyncedWrites checks the durability claim of doc.go:
// when the marker is written, and when Commit returns, no memtable WAL or
// value-log page is unsynced, also when memtables rotate inside a commit. It
// watches the kernel's dirty-page accounting (/proc/self/smaps) at the marker.
//
// Memtables are 1 MiB, so one Badger transaction holds ~150 kB, every commit
// (~1 MiB) spans several transactions, and a memtable rotates between two of
// them every other commit or so; compactions are off and level 0 stalls at 2
// tables, so from the third rotation on the rotated memtables stay unflushed
// (their WALs mapped) for the rest of the test: the window of the bug, held
// open deterministically.
//
// The "before-syncwrites" case runs the same workload with the settings of the
// code before this fix (SyncWrites off, DB.Sync at the end of SaveVersion and
// after the marker) and must see the loss: rotated memtables' WALs dirty at the
// marker. That is what makes this test fail without the fix.
func TestMarkerDependsOnlyOnSyncedWrites(t *testing.T) {
	probe := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(probe, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == 0x01021994 { // TMPFS_MAGIC: nothing is ever written back
		t.Skip("temporary directory on tmpfs: msync does not clean pages there")
	}
	for _, tc := range []struct {
		name       string
		syncWrites bool
	}{{"syncwrites", true}, {"before-syncwrites", false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			tuneBadgerOptions = func(o *badger.Options) {
				o.MemTableSize = 1 << 20
				o.ValueLogFileSize = 1 << 20
				o.NumMemtables = 8
				o.NumCompactors = 0
				o.NumLevelZeroTables = 1
				o.NumLevelZeroTablesStall = 2
				o.CompactL0OnClose = false
				o.SyncWrites = tc.syncWrites
			}
			s, err := Open(dir, Options{})
			tuneBadgerOptions = nil
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var checks []markerCheck
			markerHook = func(stage markerStage) {
				checks = append(checks, newMarkerCheck(t, dir, stage))
			}
			defer func() { markerHook = nil }()

			val := make([]byte, 300)  // inline in the WAL
			big := make([]byte, 1024) // in the value log
			var seq uint64
			for range 10 {
				for i := range 1500 {
					seq++
					v := val
					if i%3 == 0 {
						v = big
					}
					v[0], v[1] = byte(seq), byte(seq>>8)
					if err := s.Set(seqKey(seq), v); err != nil {
						t.Fatal(err)
					}
				}
				mustCommit(t, s)
			}
			markerHook = nil

			var withImm, dirtyImm int
			for i, c := range checks {
				if len(c.mems) >= 2 {
					withImm++
				}
				if c.immDirty > 0 {
					dirtyImm++
				}
				t.Logf("commit %d %s: mapped WALs %v, dirty kB %v", i/2+1,
					map[markerStage]string{beforeMarker: "before marker", afterMarker: "after marker"}[c.stage], c.mems, c.dirty)
			}
			if withImm == 0 {
				t.Fatal("no check saw a rotated, unflushed memtable: the test did not open the window it is about")
			}
			if tc.syncWrites {
				for i, c := range checks {
					for f, kb := range c.unsynced {
						t.Errorf("commit %d stage %d: %s has %d kB not synced when the marker depends on it", i/2+1, c.stage, f, kb)
					}
				}
				return
			}
			// The code before the fix: DB.Sync synced only the active WAL, so the
			// rotated ones are dirty at the marker.
			if dirtyImm == 0 {
				t.Fatalf("before the fix, %d checks with rotated memtables and none dirty: the test cannot see the loss it guards against", withImm)
			}
			t.Logf("before the fix: %d of %d checks had unsynced writes in rotated memtables when the marker was written", dirtyImm, len(checks))
		})
	}
}

package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Empty log files left by a crash (see doc.go, "Restart after a kill").
//
// Badger v4.9.6 creates a memtable WAL (NNNNN.mem, memtable.go newMemTable →
// openMemTable) or a value-log file (NNNNNN.vlog, value.go createVlogFile) with
// os.O_CREATE and only then sizes it with ftruncate and writes its 20-byte
// header through the mmap (ristretto z.OpenMmapFileUsing, logFile.bootstrap).
// MmapFile.Delete, used when a flushed WAL or a collected value log is
// removed, truncates the file to 0 bytes before unlinking it. A kill between
// those steps leaves a 0-byte file. On the next Open, z.OpenMmapFile sees the
// empty file, grows it and returns z.NewFile, which openMemTables and
// valueLog.open treat as an error ("Create a new file"): the store could never
// be opened again (badger issue 2207; the fix proposed upstream, PR 2331, is to
// accept such a file as empty).
//
// A 0-byte file holds no data: every file Badger writes to has been sized to
// its full mmap length and carries a header first, and a file truncated by
// Delete was being deleted (a WAL after its memtable reached a level-0 table
// in the manifest, a value log after value-log GC moved its live values).
// Removing it before badger.Open is what Badger itself does with an empty
// memtable WAL (it opens it, finds no entries and deletes it) and with an
// empty value-log file that is not the last (valueLog.open deletes it). An
// empty last value-log file was being created when the process died (the
// previous one, the head until then, still exists: value-log GC never deletes
// the head); without it Badger creates it again, under the same number. No
// value pointer refers to a file that never held an entry.

// errLockUnsupported: lockDir cannot lock on this platform; the cleanup is
// skipped.
var errLockUnsupported = errors.New("ledger: directory lock not supported on this platform")

// removeEmptyLogFiles removes the 0-byte files named like Badger's memtable
// WALs (in dir) and value-log files (in valueDir), holding Badger's directory
// lock (flock on the directory, as badger.Open takes it) so that it never
// touches the files of a database another process has open. The lock is
// released before badger.Open takes it again. A missing directory is not an
// error (Badger creates it).
func removeEmptyLogFiles(dir, valueDir string, lg Logger) error {
	dirs := []struct{ path, ext string }{{dir, ".mem"}, {valueDir, ".vlog"}}
	if filepath.Clean(dir) == filepath.Clean(valueDir) {
		dirs = []struct{ path, ext string }{{dir, ""}}
	}
	for _, d := range dirs {
		if err := removeEmptyLogFilesIn(d.path, d.ext, lg); err != nil {
			return err
		}
	}
	return nil
}

// removeEmptyLogFilesIn handles one directory; ext "" means both kinds.
func removeEmptyLogFilesIn(dir, ext string, lg Logger) error {
	unlock, err := lockDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errLockUnsupported) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("ledger: list %s: %w", dir, err)
	}
	removed := 0
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !isBadgerLogName(name) || (ext != "" && !strings.HasSuffix(name, ext)) {
			continue
		}
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("ledger: stat %s: %w", p, err)
		}
		if !fi.Mode().IsRegular() || fi.Size() != 0 {
			continue
		}
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("ledger: remove empty log file %s: %w", p, err)
		}
		removed++
		lg.Info("ledger: removed empty Badger log file left by a crash", "file", p)
	}
	if removed > 0 {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

// isBadgerLogName reports whether name is a memtable WAL (%05d.mem) or a
// value-log file (%06d.vlog) as Badger names them: only digits before the
// extension, at least as many as Badger's format pads to.
func isBadgerLogName(name string) bool {
	var stem string
	var width int
	switch {
	case strings.HasSuffix(name, ".mem"):
		stem, width = strings.TrimSuffix(name, ".mem"), 5
	case strings.HasSuffix(name, ".vlog"):
		stem, width = strings.TrimSuffix(name, ".vlog"), 6
	default:
		return false
	}
	if len(stem) < width || len(stem) > 10 {
		return false
	}
	for _, c := range stem {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// syncDir fsyncs a directory, making creations and removals in it durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("ledger: open directory %s: %w", dir, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ledger: sync directory %s: %w", dir, err)
	}
	return nil
}

//go:build linux || darwin || freebsd

package node

import (
	"io/fs"
	"syscall"
)

// allocated is the disk space given to the file (512-byte blocks).
func allocated(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return info.Size()
}

// fsUsage is the space available to unprivileged users and the total size of
// the filesystem holding path.
func fsUsage(path string) (free, size uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize)
	return uint64(st.Bavail) * bs, uint64(st.Blocks) * bs, nil
}

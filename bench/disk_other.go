//go:build !unix

package bench

import "io/fs"

// allocated is the disk space a file takes (its size, where blocks are unknown).
func allocated(info fs.FileInfo) int64 { return info.Size() }

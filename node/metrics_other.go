//go:build !(linux || darwin || freebsd)

package node

import (
	"errors"
	"io/fs"
)

func allocated(info fs.FileInfo) int64 { return info.Size() }

// fsUsage is not measured here: the filesystem series are not exported.
func fsUsage(string) (free, size uint64, err error) {
	return 0, 0, errors.New("filesystem usage not measured on this system")
}

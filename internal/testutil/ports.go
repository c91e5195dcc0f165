package testutil

import (
	"net"
	"sync"
	"testing"
)

// handedOut is every port FreePorts returned in this process.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// maxPortTries bounds how many listeners FreePorts opens for one call.
const maxPortTries = 1000

// FreePort returns a TCP port on 127.0.0.1 that was free when chosen and was never
// returned before in this process.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePorts(t, 1)[0]
}

// FreePorts returns n distinct TCP ports on 127.0.0.1 that were free when chosen:
// all n listeners stay open until every port is picked. No port is one returned
// before in this process.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	out := make([]int, 0, n)
	for len(out) < n {
		if len(ls) >= maxPortTries {
			t.Fatalf("testutil: no %d fresh free ports after %d listeners", n, len(ls))
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("testutil: free port: %v", err)
		}
		ls = append(ls, l) // kept open: the kernel cannot hand this port out again meanwhile
		p := l.Addr().(*net.TCPAddr).Port
		if handedOut.ports[p] {
			continue
		}
		handedOut.ports[p] = true
		out = append(out, p)
	}
	return out
}

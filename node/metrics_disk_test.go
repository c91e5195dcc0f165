package node

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The disk collector counts a directory inside another once, measures at most
// every DiskRefresh (a scrape in between reuses the values) and reports the
// filesystem's free and total bytes.
func TestDiskCollector(t *testing.T) {
	data := t.TempDir()
	ledger := filepath.Join(data, "ledger")
	if err := os.MkdirAll(ledger, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, n int) {
		if err := os.WriteFile(name, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(ledger, "a"), 64<<10)
	c := newDiskCollector(data, ledger, "")
	if len(c.dirs) != 1 || c.dirs[0] != data {
		t.Fatalf("dirs %v, want just %s", c.dirs, data)
	}
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	first := collect(t, c)
	if first["poaledger_data_dir_bytes"] < 64<<10 {
		t.Fatalf("used %v < the 64 KiB written", first["poaledger_data_dir_bytes"])
	}
	if first["poaledger_filesystem_size_bytes"] <= 0 || first["poaledger_filesystem_free_bytes"] > first["poaledger_filesystem_size_bytes"] {
		t.Fatalf("filesystem free %v size %v", first["poaledger_filesystem_free_bytes"], first["poaledger_filesystem_size_bytes"])
	}
	write(filepath.Join(data, "b"), 256<<10)
	now = now.Add(DiskRefresh - time.Second)
	if got := collect(t, c)["poaledger_data_dir_bytes"]; got != first["poaledger_data_dir_bytes"] {
		t.Fatalf("measured again before %s: %v -> %v", DiskRefresh, first["poaledger_data_dir_bytes"], got)
	}
	now = now.Add(time.Second)
	if got := collect(t, c)["poaledger_data_dir_bytes"]; got < first["poaledger_data_dir_bytes"]+256<<10 {
		t.Fatalf("after %s: %v, want at least %v", DiskRefresh, got, first["poaledger_data_dir_bytes"]+256<<10)
	}
}

func collect(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		var m *dto.Metric = mf.GetMetric()[0]
		out[mf.GetName()] = m.GetGauge().GetValue()
	}
	return out
}

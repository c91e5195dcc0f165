package node

import (
	"errors"
	"io/fs"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/app"
)

// ChainIDLabel is the label every poaledger_* series carries, as CometBFT's
// cometbft_* series do (instrumentation.namespace's chain_id).
const ChainIDLabel = "chain_id"

// DiskRefresh is the longest a scrape reuses the last measurement of the data
// directory and its filesystem: a directory walk runs at most this often, on the
// scrape that finds the values older, never in the consensus path.
const DiskRefresh = 30 * time.Second

// chainRegisterer is reg (nil: prometheus.DefaultRegisterer, which CometBFT's
// Prometheus listener serves) adding chain_id to every series registered
// through it.
func chainRegisterer(reg prometheus.Registerer, chainID string) prometheus.Registerer {
	if reg == nil {
		reg = prometheus.DefaultRegisterer
	}
	return prometheus.WrapRegistererWith(prometheus.Labels{ChainIDLabel: chainID}, reg)
}

// registerNodeMetrics registers what the node, not the app, knows:
// poaledger_build_info and the disk usage of dirs (the CometBFT data directory
// and the ledger's, which may lie inside it) and of the filesystem holding the
// first.
func registerNodeMetrics(reg prometheus.Registerer, version, commit string, dirs ...string) {
	if commit == "" {
		commit = vcsRevision()
	}
	if version == "" {
		version = "unknown"
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: app.MetricsNamespace, Name: "build_info",
		Help:        "Always 1; the labels name the poaledger version and git commit and the CometBFT version of this node.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit, "cometbft": cmtversion.TMCoreSemVer}})
	info.Set(1)
	reg.MustRegister(info, newDiskCollector(dirs...))
}

// vcsRevision is the short git commit the go command stamped into the binary
// (when built from a checkout), "-dirty" when the tree was modified, or "unknown".
func vcsRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	rev = rev[:min(len(rev), 7)]
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// diskCollector exports the bytes the node's data occupies and the free and
// total bytes of the filesystem holding it, measured at most every DiskRefresh.
type diskCollector struct {
	dirs []string // measured together; a dir inside another is counted once
	fs   string   // filesystem of the first dir

	used, free, size *prometheus.Desc

	mu       sync.Mutex
	at       time.Time // last measurement; zero: never
	usedV    float64
	freeV    float64
	sizeV    float64
	fsOK     bool
	now      func() time.Time
	interval time.Duration
}

func newDiskCollector(dirs ...string) *diskCollector {
	ns := app.MetricsNamespace
	c := &diskCollector{
		used: prometheus.NewDesc(ns+"_data_dir_bytes",
			"Bytes allocated on disk to the node's data: CometBFT's data directory (blocks, state, tx index) and the ledger; measured at most every 30 s.", nil, nil),
		free: prometheus.NewDesc(ns+"_filesystem_free_bytes",
			"Bytes available to the node on the filesystem holding its data directory; measured at most every 30 s.", nil, nil),
		size: prometheus.NewDesc(ns+"_filesystem_size_bytes",
			"Total bytes of the filesystem holding the node's data directory.", nil, nil),
		now:      time.Now,
		interval: DiskRefresh,
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		d = filepath.Clean(d)
		if c.fs == "" {
			c.fs = d
		}
		c.dirs = append(c.dirs, d)
	}
	// Drop a dir inside another (the default ledger dir is <home>/data/ledger).
	var keep []string
	for i, d := range c.dirs {
		inside := false
		for j, o := range c.dirs {
			if i != j && (strings.HasPrefix(d, o+string(filepath.Separator)) || (d == o && j < i)) {
				inside = true
			}
		}
		if !inside {
			keep = append(keep, d)
		}
	}
	c.dirs = keep
	return c
}

func (c *diskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.used
	ch <- c.free
	ch <- c.size
}

func (c *diskCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); c.at.IsZero() || now.Sub(c.at) >= c.interval {
		c.refresh()
		c.at = now
	}
	ch <- prometheus.MustNewConstMetric(c.used, prometheus.GaugeValue, c.usedV)
	if c.fsOK {
		ch <- prometheus.MustNewConstMetric(c.free, prometheus.GaugeValue, c.freeV)
		ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, c.sizeV)
	}
}

// refresh measures the directories and the filesystem. c.mu is held.
func (c *diskCollector) refresh() {
	var total int64
	for _, d := range c.dirs {
		total += dirUsage(d)
	}
	c.usedV = float64(total)
	if c.fs != "" {
		free, size, err := fsUsage(c.fs)
		c.fsOK = err == nil
		c.freeV, c.sizeV = float64(free), float64(size)
	}
}

// dirUsage is the space allocated to the files under dir (the apparent size
// where the system does not say): Badger preallocates sparse value-log and
// memtable files, whose apparent size is far above what they occupy. Files
// that vanish during the walk (compactions) are skipped.
func dirUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if info.Mode().IsRegular() || info.IsDir() {
			n += allocated(info)
		}
		return nil
	})
	return n
}

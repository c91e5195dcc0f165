package node_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/poaledger/poaledger/internal/testutil"
	"github.com/poaledger/poaledger/node"
)

// TestMetricsScrape runs a real one-validator node with its own registry, serves
// the registry over HTTP as CometBFT's listener would, and checks the poaledger_*
// families of a scrape: every series carries chain_id; build_info, the
// per-validator series (validator = the address in priv_validator_key.json),
// block time, interval, rounds and disk are there; and `promtool check metrics`
// finds nothing. promtool is $POALEDGER_PROMTOOL (`make test` builds it into
// build/promtool and sets it); without it the promtool step is skipped, the rest
// runs.
func TestMetricsScrape(t *testing.T) {
	tn := testutil.StartNode(t, testutil.WithChainID("metrics-test"))
	if err := tn.Node.Stop(); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	n, err := node.New(tn.Home, node.Options{Version: "v9.9.9-test", Commit: "abc1234", Registerer: reg, LogWriter: io.Discard,
		Override: func(c *cmtcfg.Config) {
			c.Consensus.CreateEmptyBlocks = true
			c.Consensus.CreateEmptyBlocksInterval = 0
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	var key struct {
		Address string `json:"address"`
	}
	raw, err := os.ReadFile(filepath.Join(tn.Home, "config", "priv_validator_key.json"))
	if err != nil || json.Unmarshal(raw, &key) != nil || key.Address == "" {
		t.Fatalf("priv_validator_key.json: %v", err)
	}

	want := []string{
		`poaledger_build_info{chain_id="metrics-test",cometbft="`,
		`poaledger_validator_signed_blocks_total{chain_id="metrics-test",validator="` + key.Address + `"}`,
		`poaledger_validator_missed_blocks_total{chain_id="metrics-test",validator="` + key.Address + `"} 0`,
		`poaledger_validator_last_signed_height{chain_id="metrics-test",validator="` + key.Address + `"}`,
		`poaledger_validator_signing_lag_blocks{chain_id="metrics-test",validator="` + key.Address + `"} 0`,
		`poaledger_last_commit_round{chain_id="metrics-test"} 0`,
		`poaledger_late_commits_total{chain_id="metrics-test"} 0`,
		`poaledger_last_block_time_seconds{chain_id="metrics-test"}`,
		`poaledger_block_interval_seconds_bucket{chain_id="metrics-test",le="32.5"}`,
		`poaledger_data_dir_bytes{chain_id="metrics-test"}`,
		`poaledger_filesystem_free_bytes{chain_id="metrics-test"}`,
		`poaledger_filesystem_size_bytes{chain_id="metrics-test"}`,
		`poaledger_ledger_height{chain_id="metrics-test"}`,
	}
	var text []byte
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = testutil.Poll(ctx, "scrape with every family", func(ctx context.Context) error {
		text, err = scrapePoaledger(ctx, srv.URL)
		if err != nil {
			return err
		}
		for _, w := range want {
			if !bytes.Contains(text, []byte(w)) {
				return fmt.Errorf("no series %s", w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if !bytes.Contains(text, []byte(`commit="abc1234"`)) || !bytes.Contains(text, []byte(`version="v9.9.9-test"`)) {
		t.Errorf("build_info lacks the version or commit:\n%s", grepLines(text, "build_info"))
	}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.Contains(line, `chain_id="metrics-test"`) {
			t.Errorf("series without chain_id: %s", line)
		}
	}
	// Disk: the data directory holds at least the ledger and the block store.
	if m := regexp.MustCompile(`poaledger_data_dir_bytes\{[^}]*\} (\S+)`).FindSubmatch(text); m == nil || string(m[1]) == "0" {
		t.Errorf("data dir bytes: %s", grepLines(text, "data_dir"))
	}

	promtool := os.Getenv("POALEDGER_PROMTOOL")
	if promtool == "" {
		t.Logf("POALEDGER_PROMTOOL unset: `promtool check metrics` skipped (make test sets it)")
		return
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics on the poaledger_* families: %v\n%s", err, out)
	}
	t.Logf("promtool check metrics: %d bytes of poaledger_* exposition clean %s", len(text), strings.TrimSpace(string(out)))
}

// scrapePoaledger returns the poaledger_* families (with their HELP and TYPE
// lines) of the text exposition at url.
func scrapePoaledger(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out bytes.Buffer
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name := line
		if f := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")); len(f) > 0 {
			name = f[0]
		}
		if strings.HasPrefix(name, "poaledger_") {
			out.WriteString(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes(), sc.Err()
}

func grepLines(text []byte, sub string) string {
	var out []string
	for _, l := range strings.Split(string(text), "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

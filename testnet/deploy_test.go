package testnet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/poaledger/poaledger/internal/testutil"
)

// metricNameRE finds the node's metric names in the deploy configs: ours, CometBFT's
// and the process and Go collectors' (Prometheus's own up is not the node's).
var metricNameRE = regexp.MustCompile(`\b(?:poaledger|cometbft|process|go)_[a-zA-Z0-9_]+`)

// nameAlternationRE is a {__name__=~"a_(x|y)_b"} selector; expandNames spells it out.
var nameAlternationRE = regexp.MustCompile(`__name__=~"([a-zA-Z0-9_]*)\(([a-zA-Z0-9_|]+)\)([a-zA-Z0-9_]*)"`)

// expandNames appends to expr the names a __name__ alternation selects, so that
// metricNameRE sees them.
func expandNames(expr string) string {
	for _, m := range nameAlternationRE.FindAllStringSubmatch(expr, -1) {
		for _, alt := range strings.Split(m[2], "|") {
			expr += " " + m[1] + alt + m[3]
		}
	}
	return expr
}

// optionalMetrics are referenced by deploy/ but exported only in a state the suite's
// clusters never reach.
var optionalMetrics = map[string]string{
	"cometbft_statesync_syncing": "set only while a node state-syncs",
}

// deployMetricNames returns every node metric name referenced by
// deploy/prometheus.yml, the alert rules it loads and the Grafana dashboard, and
// checks they parse.
func deployMetricNames(t *testing.T) []string {
	t.Helper()
	names := map[string]bool{}
	raw, err := os.ReadFile("../deploy/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var prom struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(raw, &prom); err != nil {
		t.Fatalf("deploy/prometheus.yml: %v", err)
	}
	var targets []string
	for _, sc := range prom.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			targets = append(targets, s.Targets...)
		}
	}
	if want := []string{"node0:26660", "node1:26660", "node2:26660", "node3:26660"}; strings.Join(targets, ",") != strings.Join(want, ",") {
		t.Errorf("deploy/prometheus.yml targets %v, want %v", targets, want)
	}
	var any map[string]any
	if err := yaml.Unmarshal(raw, &any); err != nil {
		t.Fatal(err)
	}
	collectNames(any, names)
	raw, err = os.ReadFile("../deploy/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules map[string]interface{}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("deploy/alerts.yml: %v", err)
	}
	collectNames(rules, names)

	raw, err = os.ReadFile("../deploy/grafana/dashboards/poaledger.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if len(dash.Panels) == 0 {
		t.Fatal("dashboard has no panels")
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			found := metricNameRE.FindAllString(expandNames(tg.Expr), -1)
			if len(found) == 0 && !strings.HasPrefix(tg.Expr, "up{") {
				t.Errorf("panel %q query %q names no metric of the node", p.Title, tg.Expr)
			}
			for _, n := range found {
				names[n] = true
			}
		}
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func collectNames(v any, names map[string]bool) {
	switch v := v.(type) {
	case string:
		for _, n := range metricNameRE.FindAllString(expandNames(v), -1) {
			names[n] = true
		}
	case map[string]any:
		for _, e := range v {
			collectNames(e, names)
		}
	case []any:
		for _, e := range v {
			collectNames(e, names)
		}
	}
}

// scrapeNames returns the sample names a node's /metrics exposes.
func scrapeNames(ctx context.Context, url string) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer res.Body.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	return names, nil
}

// checkDeployMetrics checks every metric name in the deploy configs is exported
// by the node at url (a histogram counts through its _bucket/_sum/_count samples).
func checkDeployMetrics(t *testing.T, url string) {
	want := deployMetricNames(t)
	var missing []string
	// Some series appear only once their first value is set: poll (deadline liveness).
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	err := testutil.Poll(ctx, "scrape "+url, func(ctx context.Context) error {
		got, err := scrapeNames(ctx, url)
		if err != nil {
			return err
		}
		missing = missing[:0]
		for _, n := range want {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
			if !got[n] && !got[base+"_bucket"] && !got[base+"_count"] && optionalMetrics[n] == "" {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("not exported: %v", missing)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("metrics referenced by deploy/ but not exported by a running node: %v", err)
	}
	var optional []string
	for _, n := range want {
		if why := optionalMetrics[n]; why != "" {
			optional = append(optional, n+" ("+why+")")
		}
	}
	report(t, "deploy configs reference %d metric names, each exported or not required here: %s; not required: %s", len(want), strings.Join(want, " "), strings.Join(optional, ", "))
}

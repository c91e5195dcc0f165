package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/poaledger/poaledger/app/tx"
)

// verifyRuns is how many signature verifications verifyMicros times: about a
// tenth of a second on the 2-core reference machine.
const verifyRuns = 1000

// cpuModel names the machine's processor from /proc/cpuinfo (see
// parseCPUInfo), or returns "" where there is none. Runs on different hosts
// differ by more than any change under test, so results say which host.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	return parseCPUInfo(b)
}

// parseCPUInfo returns the first processor's "model name" from a
// /proc/cpuinfo, followed by its x86 "cpu family" and "model" numbers when
// present (a model name such as "AMD EPYC" covers several generations), or
// "" when the text names no model.
func parseCPUInfo(b []byte) string {
	fields := map[string]string{} // lookups only
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			if len(fields) > 0 {
				break // the end of the first processor's block
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if _, seen := fields[k]; !seen {
			fields[k] = strings.TrimSpace(v)
		}
	}
	name := fields["model name"]
	if name == "" {
		return ""
	}
	family, model := fields["cpu family"], fields["model"]
	if family != "" && model != "" {
		return fmt.Sprintf("%s (family %s, model %s)", name, family, model)
	}
	return name
}

// verifyMicros times the ed25519 verification of one signed RecordEvents tx as
// CheckTx verifies it (tx.Envelope.VerifySignature, the node's verifier with
// its expanded-key cache warmed by a first call), runs times, and returns the
// microseconds per verification. About half of a node's CheckTx is this; it
// differs by 2-3x between hosts, which is why results carry it.
func verifyMicros(runs int) (float64, error) {
	s := newSigners("machine", 1)[0]
	raw, err := recordTx(s, "bench-machine", 1, objectEvent("machine", 1, 0))
	if err != nil {
		return 0, err
	}
	env, err := tx.DecodeEnvelope(raw)
	if err != nil {
		return 0, err
	}
	if err := env.VerifySignature(); err != nil {
		return 0, fmt.Errorf("bench: sample signature: %w", err)
	}
	start := time.Now()
	for range runs {
		if err := env.VerifySignature(); err != nil {
			return 0, fmt.Errorf("bench: sample signature: %w", err)
		}
	}
	return float64(time.Since(start).Microseconds()) / float64(runs), nil
}

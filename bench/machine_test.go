package bench

import "testing"

func TestParseCPUInfo(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"x86 names the first processor with its family and model",
			"processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 23\nmodel\t\t: 1\nmodel name\t: AMD EPYC\n\n" +
				"processor\t: 1\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC 9454\n",
			"AMD EPYC (family 23, model 1)"},
		{"a model name alone", "processor : 0\nmodel name : Neoverse-N1\n", "Neoverse-N1"},
		{"a model name with a colon in it", "model name\t: Vendor: Chip 9\ncpu family\t: 6\nmodel\t\t: 85\n",
			"Vendor: Chip 9 (family 6, model 85)"},
		{"leading blank lines", "\n\nmodel name : X\n", "X"},
		{"no model name (arm64 lists CPU part numbers)", "processor : 0\nBogoMIPS : 50.00\nCPU part : 0xd0c\n", ""},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseCPUInfo([]byte(tc.in)); got != tc.want {
				t.Fatalf("parseCPUInfo = %q, want %q", got, tc.want)
			}
		})
	}
}

// verifyMicros verifies a real signed tx (an error would mean the sample does
// not verify) and reports a positive time; how fast is never asserted.
func TestVerifyMicros(t *testing.T) {
	us, err := verifyMicros(20)
	if err != nil {
		t.Fatal(err)
	}
	if us <= 0 {
		t.Fatalf("verifyMicros = %v, want > 0", us)
	}
}

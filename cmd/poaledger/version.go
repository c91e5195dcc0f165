package main

import (
	"io"
	"runtime"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"
)

// Set by the Makefile with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

type versionInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	CometBFT string `json:"cometbft"`
	Go       string `json:"go"`
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the poaledger version, git commit and CometBFT version",
		Example: "  poaledger version\n  poaledger version --output json",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := versionInfo{Version: version, Commit: commit, CometBFT: cmtversion.TMCoreSemVer, Go: runtime.Version()}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				(&fields{}).add("poaledger", "%s (commit %s)", v.Version, v.Commit).
					add("cometbft", "%s", v.CometBFT).add("go", "%s", v.Go).write(w)
			})
		},
	}
}

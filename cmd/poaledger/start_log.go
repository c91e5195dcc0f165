package main

import (
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/node"
)

// logFlags are start's --log-level and --log-format; empty means config.toml's
// log_level and log_format.
type logFlags struct {
	level, format string
}

func (f *logFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.level, "log-level", "",
		`log level: debug, info or error, or per module as "consensus:debug,p2p:error,*:info" (default: config.toml log_level, "info")`)
	cmd.Flags().StringVar(&f.format, "log-format", "",
		`log format: plain or json (default: config.toml log_format, "plain")`)
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if err := f.check(); err != nil {
			return err
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// check refuses a bad --log-level or --log-format as a usage error (exit 2).
func (f *logFlags) check() error {
	switch f.format {
	case "", node.LogFormatPlain, node.LogFormatJSON:
	default:
		return usagef("--log-format %q: want %s or %s", f.format, node.LogFormatPlain, node.LogFormatJSON)
	}
	if f.level != "" {
		if _, err := cmtflags.ParseLogLevel(f.level, log.NewNopLogger(), cmtcfg.DefaultLogLevel); err != nil {
			return usagef("--log-level %q: %v", f.level, err)
		}
	}
	return nil
}

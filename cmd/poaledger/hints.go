package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/poaledger/poaledger/testnet"
)

// Hints the CLI prints are commands that run as printed: they name this binary
// as the user's shell finds it and real files.

// selfCommand is how the user's shell runs this binary: the name typed when it
// is the poaledger on PATH, the path typed (./build/poaledger) when it names
// this binary, else its absolute path.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "poaledger"
	}
	a0 := os.Args[0]
	if !strings.ContainsRune(a0, filepath.Separator) {
		if p, err := exec.LookPath(a0); err == nil && sameFile(p, exe) {
			return testnet.ShellQuote(a0)
		}
		return testnet.ShellQuote(exe)
	}
	if sameFile(a0, exe) {
		return testnet.ShellQuote(a0)
	}
	return testnet.ShellQuote(exe)
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// exampleDocument is the first document of the repository's example supply
// chain, as a path from the current directory: examples/ in it, or next to the
// binary's build directory (build/poaledger -> examples/); "" when neither has it.
func exampleDocument() string {
	const name = "01-commission.json"
	candidates := []string{filepath.Join("examples", name)}
	if exe, err := os.Executable(); err == nil {
		if exe, err := filepath.EvalSymlinks(exe); err == nil {
			candidates = append(candidates, filepath.Join(filepath.Dir(exe), "..", "examples", name))
		}
	}
	wd, _ := os.Getwd()
	for _, c := range candidates {
		if fi, err := os.Stat(c); err != nil || fi.IsDir() {
			continue
		}
		if filepath.IsAbs(c) && wd != "" {
			if rel, err := filepath.Rel(wd, c); err == nil && !strings.HasPrefix(rel, "..") {
				return rel
			}
		}
		return c
	}
	return ""
}

// shellQuote quotes s for sh when it needs it (a path in a printed command).
func shellQuote(s string) string { return testnet.ShellQuote(s) }

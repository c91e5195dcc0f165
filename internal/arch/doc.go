// Package arch holds no code: its test enforces the package arrows drawn in
// ARCHITECTURE.md (which package may import which, and which stay free of the
// storage engine and metrics), so an import that breaks them fails `make test`
// and `make lint`.
package arch

// Command pizzeria is the event-sourced pizza kitchen: one binary for every
// role, on the embedded log (the default) or on Kafka.
//
// The command line is built with cobra (github.com/spf13/cobra): of the
// well-kept choices it alone brings, ready-made, everything a Go user
// expects of a command tree: flags anywhere among the arguments,
// per-command help on stdout, --version, shell completion for bash, zsh,
// fish and PowerShell, and "did you mean" for a mistyped command. Each
// flag's environment twin (PIZZERIA_*) is read after the command line, so
// a flag wins, a bad value in either is reported with every other problem,
// and no value from the environment ever shows up as a default in help.
//
// Files by concern: cli.go and ops.go the command tree, config.go and
// flags.go the settings, serve.go the wiring of a process, kitchen.go its
// message router, transport.go the event logs, offline.go and admin.go the
// operator's commands, bench.go the benchmark, support.go small helpers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], osEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pizzeria/pizzeria/events"
)

const usage = `pizzeria — an event-sourced CQRS pizza kitchen

Usage:
  pizzeria [serve] [flags]          every role in one process (the default)
  pizzeria command-api [flags]      takes orders (Kafka deployment)
  pizzeria order-manager [flags]    fans orders out into pizzas, completes orders
  pizzeria stage NAME [flags]       one kitchen stage: sauce, cheese, meats or veggies
  pizzeria query-api [flags]        keeps a full copy of the views and serves them
  pizzeria replay [flags]           rebuild the views from the log (service stopped)
  pizzeria check [flags]            verify every file of a data dir (service stopped)
  pizzeria dlq list|redrive [flags] show or re-drive dead letters (service stopped if embedded)
  pizzeria bench [flags]            measure throughput and latency on the embedded log
  pizzeria healthcheck --url URL    exit 0 if URL answers 2xx (for container health checks)

Run 'pizzeria COMMAND -h' for a command's flags.
`

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var sub string
	if (cmd == "stage" || cmd == "dlq") && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if cmd == "help" || cmd == "-h" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err := checkCommand(cmd, sub); err != nil {
		fmt.Fprintf(stderr, "pizzeria: %v\n\n%s", err, usage)
		return 2
	}
	var cfg config
	fs := flag.NewFlagSet("pizzeria "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.register(fs, getenv)
	var url string
	if cmd == "healthcheck" {
		fs.StringVar(&url, "url", "http://127.0.0.1:8080/healthz", "URL to probe")
	}
	var bench benchConfig
	if cmd == "bench" {
		bench.register(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(stderr, "pizzeria: invalid settings:\n%v\n", err)
		return 2
	}
	err := dispatch(ctx, cmd, sub, &cfg, url, bench, stdout, stderr)
	if errors.Is(err, errUsage) {
		fmt.Fprintf(stderr, "pizzeria: %v\n\n%s", err, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "pizzeria %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// checkCommand rejects an unknown command or sub-command before any flag
// is parsed, so a typo never starts a process that does nothing useful.
func checkCommand(cmd, sub string) error {
	switch cmd {
	case "serve", "command-api", "order-manager", "query-api", "replay", "check", "bench", "healthcheck":
		return nil
	case "stage":
		_, err := events.ParseStage(sub)
		return err
	case "dlq":
		if sub == "list" || sub == "redrive" {
			return nil
		}
		return fmt.Errorf("dlq takes list or redrive, not %q", sub)
	}
	return fmt.Errorf("unknown command %q", cmd)
}

func dispatch(ctx context.Context, cmd, sub string, cfg *config, url string, bench benchConfig, stdout, stderr io.Writer) error {
	switch cmd {
	case "serve":
		return serve(ctx, cfg, allRoles(), stderr)
	case "command-api":
		return serve(ctx, cfg, roles{commands: true}, stderr)
	case "order-manager":
		return serve(ctx, cfg, roles{manager: true}, stderr)
	case "query-api":
		return serve(ctx, cfg, roles{views: true}, stderr)
	case "stage":
		s, err := events.ParseStage(sub)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		return serve(ctx, cfg, roles{stages: []events.Stage{s}}, stderr)
	case "replay":
		return replay(ctx, cfg, stdout, stderr)
	case "check":
		return checkDataDir(cfg.DataDir, stdout)
	case "dlq":
		return deadLetters(ctx, cfg, sub, stdout)
	case "bench":
		return runBench(ctx, cfg, bench, stdout)
	case "healthcheck":
		return healthcheck(ctx, url)
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}

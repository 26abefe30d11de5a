package main

import (
	"flag"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func (c *cli) opsCommands() []*cobra.Command {
	var force bool
	replayCmd := &cobra.Command{
		Use:   "replay",
		Short: "Rebuild the views from the log (service stopped)",
		Long: `replay rebuilds this node's views from the whole log into a fresh file and
swaps it in. On the embedded log the service must be stopped; a running
service offers POST /admin/replay instead.`,
		GroupID: "ops", Args: noArgs, ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return replay(cmd.Context(), c.start(), force, c.stdout, c.stderr)
		},
	}
	replayCmd.Flags().BoolVar(&force, "force", false, "rebuild even from a log shorter than what the views have applied (a log replaced on purpose)")
	envTwins(replayCmd.Flags(), "PIZZERIA_REPLAY_")
	c.withSettings(replayCmd, setEventLog)

	check := &cobra.Command{
		Use:   "check",
		Short: "Verify every file of a data dir (service stopped)",
		Long: `check verifies the embedded log, the views and the order manager's ledger in
--data-dir: bbolt's own consistency check and the checksum of every record.
It prints a line per file and exits 1 when any is damaged.`,
		GroupID: "ops", Args: noArgs, ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return checkDataDir(c.start().DataDir, c.stdout)
		},
	}
	c.withSettings(check, setEventLog)

	dlq := &cobra.Command{
		Use:     "dlq list|redrive",
		Short:   "Show or re-drive dead letters (service stopped if embedded)",
		GroupID: "ops",
		Args:    cobra.ArbitraryArgs,
		// Suggest list for "lst", as the root does for commands.
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			msg := "dlq takes list or redrive"
			if len(args) > 0 {
				msg += fmt.Sprintf(", not %q", args[0])
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
				}
			}
			return fmt.Errorf("%w: %s", errUsage, msg)
		},
	}
	for _, action := range []struct{ name, short string }{
		{"list", "Print the pending dead letters, one JSON object a line"},
		{"redrive", "Publish every pending dead letter again to its source topic"},
	} {
		sub := &cobra.Command{Use: action.name, Short: action.short, Args: noArgs, ValidArgsFunction: cobra.NoFileCompletions,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return deadLetters(cmd.Context(), c.start(), action.name, c.stdout)
			}}
		c.withSettings(sub, setEventLog)
		dlq.AddCommand(sub)
	}

	var b benchConfig
	bench := &cobra.Command{
		Use:     "bench",
		Short:   "Measure throughput and latency on the embedded log",
		GroupID: "ops", Args: noArgs, ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd.Context(), c.start(), b, c.stdout)
		},
	}
	goFlags := flag.NewFlagSet("bench", flag.ContinueOnError)
	b.register(goFlags)
	bench.Flags().AddGoFlagSet(goFlags)
	envTwins(bench.Flags(), "PIZZERIA_BENCH_")
	c.withSettings(bench, setLogging)

	var url string
	health := &cobra.Command{
		Use:     "healthcheck",
		Short:   "Exit 0 if --url answers 2xx (for container health checks)",
		GroupID: "ops", Args: noArgs, ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c.start()
			return healthcheck(cmd.Context(), url)
		},
	}
	health.Flags().StringVar(&url, "url", "http://127.0.0.1:8080/healthz", "URL to probe")
	envTwins(health.Flags(), "PIZZERIA_HEALTHCHECK_")
	c.withSettings(health, 0)

	return []*cobra.Command{replayCmd, check, dlq, bench, health}
}

// version is the module version and the VCS revision the binary was built
// from, as the Go toolchain recorded them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "pizzeria (no build information)"
	}
	v := "pizzeria " + info.Main.Version
	var rev, modified, when string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		case "vcs.time":
			when = ", " + s.Value
		}
	}
	if rev == "" {
		return v + " (revision unknown: built without VCS information)" + ", " + info.GoVersion
	}
	return fmt.Sprintf("%s (revision %s%s%s), %s", v, rev, when, modified, info.GoVersion)
}

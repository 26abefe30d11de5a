package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pizzeria/pizzeria/events"
)

// errUsage marks an error in how the command was called (exit 2), as
// opposed to a failure while running it (exit 1).
var errUsage = errors.New("usage")

// run executes one command line and returns the process exit code: 0 done,
// 1 failed while running, 2 not run because the command line or the
// environment is wrong.
func run(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	cli := newCLI(getenv, stdout, stderr)
	cli.root.SetArgs(args)
	cmd, err := cli.root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if cmd == nil {
		cmd = cli.root
	}
	if cli.started && !errors.Is(err, errUsage) {
		fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
		return 1
	}
	msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
	fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", cmd.CommandPath(), msg, cmd.CommandPath())
	return 2
}

// cli is one parse of a command line: the command tree, the settings its
// flags and environment fill in, and whether a command started running.
type cli struct {
	root    *cobra.Command
	cfg     config
	getenv  env
	stdout  io.Writer
	stderr  io.Writer
	bad     problems
	started bool
}

func newCLI(getenv env, stdout, stderr io.Writer) *cli {
	c := &cli{cfg: defaultConfig(), getenv: getenv, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "pizzeria",
		Short: "An event-sourced CQRS pizza kitchen",
		Long: `pizzeria is an event-sourced CQRS pizza kitchen: one binary for every role,
on the embedded log (the default) or on Kafka.

Without a command, pizzeria serves: every role in one process.`,
		Version:           version(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		Args:              nil, // unknown commands are reported with suggestions
		RunE:              c.serveRoles(allRoles()),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return fmt.Errorf("%w: %v", errUsage, err) })
	c.root = root
	c.withSettings(root, setAll)

	root.AddGroup(&cobra.Group{ID: "roles", Title: "Roles (long-running, serve HTTP):"},
		&cobra.Group{ID: "ops", Title: "Operations:"})
	root.AddCommand(c.roleCommands()...)
	root.AddCommand(c.opsCommands()...)
	root.SetHelpCommandGroupID("ops")
	root.SetCompletionCommandGroupID("ops")
	return c
}

// withSettings gives cmd the flags of groups g and reads their environment
// twins before it runs; every bad value and setting is reported together.
func (c *cli) withSettings(cmd *cobra.Command, g settingSet) {
	c.cfg.register(cmd.Flags(), g)
	collectBadValues(cmd.Flags(), &c.bad)
	cmd.Flags().SortFlags = false
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		applyEnv(cmd.Flags(), c.getenv, &c.bad)
		if err := errors.Join(c.bad.err(), c.cfg.validate()); err != nil {
			return fmt.Errorf("%w: invalid settings:\n%v", errUsage, err)
		}
		return nil
	}
}

// start marks the command as running: from here an error is a failure,
// not a usage error.
func (c *cli) start() *config {
	c.started = true
	return &c.cfg
}

func (c *cli) serveRoles(r roles) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		return serve(cmd.Context(), c.start(), r, c.stderr)
	}
}

func (c *cli) roleCommands() []*cobra.Command {
	role := func(use, short string, g settingSet, r roles) *cobra.Command {
		cmd := &cobra.Command{Use: use, Short: short, GroupID: "roles", Args: noArgs, RunE: c.serveRoles(r),
			ValidArgsFunction: cobra.NoFileCompletions}
		c.withSettings(cmd, g)
		return cmd
	}
	base := setLogging | setEventLog | setServing
	stage := &cobra.Command{
		Use:     "stage NAME",
		Short:   "One kitchen stage: sauce, cheese, meats or veggies",
		GroupID: "roles",
		Example: "  pizzeria stage cheese --broker kafka",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("%w: unexpected argument %q: stage takes one NAME", errUsage, args[1])
			}
			if len(args) == 0 {
				return fmt.Errorf("%w: stage takes one NAME: sauce, cheese, meats or veggies", errUsage)
			}
			if _, err := events.ParseStage(args[0]); err != nil {
				return fmt.Errorf("%w: %v", errUsage, err)
			}
			return nil
		},
		ValidArgs: stageNames(),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, _ := events.ParseStage(args[0])
			return c.serveRoles(roles{stages: []events.Stage{s}})(cmd, args)
		},
	}
	c.withSettings(stage, base)
	return []*cobra.Command{
		role("serve", "Every role in one process (the default)", setAll, allRoles()),
		role("command-api", "Takes orders", base|setCommands, roles{commands: true}),
		role("order-manager", "Fans orders out into pizzas, completes orders", base, roles{manager: true}),
		stage,
		role("query-api", "Keeps a full copy of the views and serves them", base|setViews, roles{views: true}),
	}
}

func stageNames() []string {
	var names []string
	for _, s := range events.WorkerStages {
		names = append(names, s.String())
	}
	return names
}

// noArgs rejects stray words: a word among the flags is a mistake, never
// silently the end of them.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q: %s takes flags only", errUsage, args[0], cmd.CommandPath())
	}
	return nil
}

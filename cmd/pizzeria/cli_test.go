package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pizzeria/pizzeria/internal/testkit"
)

// Secrets put in the environment of every command line below; none may
// show up in any output.
var secretEnv = map[string]string{
	"PIZZERIA_ADMIN_TOKEN":         "tok-SECRET",
	"PIZZERIA_KAFKA_SASL_PASSWORD": "pw-SECRET",
}

// noSASL clears the secret SASL password for a broker that takes none.
var noSASL = map[string]string{"PIZZERIA_KAFKA_SASL_PASSWORD": ""}

// outcome is what one command line did.
type outcome struct {
	code         int
	stdout, logs string
	took         time.Duration
}

// runCLI runs one command line as main does. A role that comes up is
// stopped as soon as it says it is serving, as SIGTERM would.
func runCLI(t *testing.T, args []string, env map[string]string) outcome {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs testkit.Buffer
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return secretEnv[k]
	}
	done := make(chan int, 1)
	began := time.Now()
	go func() { done <- run(ctx, args, getenv, &out, &errs) }()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case code := <-done:
			return outcome{code: code, stdout: out.String(), logs: errs.String(), took: time.Since(began)}
		case <-deadline:
			t.Fatalf("pizzeria %v did not finish within 60s:\n%s", args, errs.String())
		case <-time.After(10 * time.Millisecond):
			if strings.Contains(errs.String(), "pizzeria is serving") {
				cancel()
			}
		}
	}
}

// Each case is something a new user tried, and what must happen.
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	in := func(name string) string { return filepath.Join(dir, name) }
	addr := "127.0.0.1:0"
	brokers := mustKfake(t)
	cases := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout []string // must appear on stdout
		says   []string // must appear on stderr
		check  func(t *testing.T, o outcome)
	}{
		// Flags anywhere, the Go convention.
		{name: "flags before the stage name", args: []string{"stage", "--broker", "kafka", "--kafka-brokers", brokers, "--data-dir", in("s1"), "cheese", "--http-addr", addr},
			env: noSASL, says: []string{"pizzeria is serving", "broker=kafka", "handler_name=pizzeria-stage-cheese", "data_dir=" + in("s1")}},
		{name: "flags after the stage name", args: []string{"stage", "cheese", "--data-dir", in("s2"), "--http-addr", addr},
			says: []string{"pizzeria is serving", "broker=embedded", "handler_name=pizzeria-stage-cheese", "data_dir=" + in("s2")}},
		{name: "flags before the command", args: []string{"--data-dir", in("r0"), "replay"},
			stdout: []string{"replayed 0 events"}, check: exists(in("r0"), "views")},
		{name: "serve is the default command", args: []string{"--data-dir", in("d"), "--http-addr", addr},
			says: []string{"pizzeria is serving", "handler_name=pizzeria-order-manager", "handler_name=pizzeria-stage-veggies"}},

		// A stray word is an error, never the silent end of the flags.
		{name: "stray word before replay's flags", args: []string{"replay", "oops", "--data-dir", in("r1")},
			code: 2, says: []string{`unexpected argument "oops"`}, check: exists(in("r1"), "")},
		{name: "second stage name", args: []string{"stage", "cheese", "meats", "--http-addr", addr},
			code: 2, says: []string{`unexpected argument "meats": stage takes one NAME`}},
		{name: "stray word after serve", args: []string{"serve", "now", "--data-dir", in("d2")},
			code: 2, says: []string{`unexpected argument "now"`}},
		{name: "stray word after dlq list", args: []string{"dlq", "list", "all"},
			code: 2, says: []string{`unexpected argument "all"`}},
		{name: "unknown command", args: []string{"bake"}, code: 2, says: []string{`unknown command "bake"`}},
		{name: "did you mean a command", args: []string{"serv"}, code: 2, says: []string{"Did you mean this?\n\tserve"}},
		{name: "did you mean a dlq action", args: []string{"dlq", "lst"}, code: 2, says: []string{`not "lst" (did you mean list?)`}},
		{name: "unknown stage", args: []string{"stage", "sause"}, code: 2, says: []string{`unknown stage "sause"`}},
		{name: "stage without a name", args: []string{"stage"}, code: 2, says: []string{"stage takes one NAME"}},
		{name: "dlq without an action", args: []string{"dlq"}, code: 2, says: []string{"dlq takes list or redrive"}},
		{name: "unknown flag", args: []string{"--colour", "red"}, code: 2, says: []string{"unknown flag: --colour"}},
		{name: "a flag of another command", args: []string{"healthcheck", "--data-dir", in("x")}, code: 2, says: []string{"unknown flag: --data-dir"}},

		// Bad values, from flags or the environment, all reported together.
		{name: "bad broker flag", args: []string{"--broker", "rabbit"}, code: 2, says: []string{`--broker "rabbit"`}},
		{name: "bad broker from env", env: map[string]string{"PIZZERIA_BROKER": "rabbit"}, code: 2, says: []string{`--broker "rabbit"`}},
		{name: "bad number from env", args: []string{"command-api"}, env: map[string]string{"PIZZERIA_MAX_COUNT": "lots"},
			code: 2, says: []string{`PIZZERIA_MAX_COUNT="lots" (for --max-count): want a whole number`}},
		{name: "bad bool from env", args: []string{"replay"}, env: map[string]string{"PIZZERIA_KAFKA_TLS": "maybe"},
			code: 2, says: []string{`PIZZERIA_KAFKA_TLS="maybe" (for --kafka-tls): want true or false`}},
		{name: "flag beats env", args: []string{"replay", "--data-dir", in("r2")}, env: map[string]string{"PIZZERIA_DATA_DIR": in("not-this")},
			stdout: []string{"replayed 0 events"}, check: func(t *testing.T, o outcome) {
				exists(in("r2"), "views")(t, o)
				exists(in("not-this"), "")(t, o)
			}},
		{name: "env applies when no flag is given", args: []string{"replay"}, env: map[string]string{"PIZZERIA_DATA_DIR": in("r3")},
			stdout: []string{"replayed 0 events"}, check: exists(in("r3"), "views")},
		{name: "every problem at once", args: []string{"--max-count", "0", "--log-level", "loud", "--shutdown-timeout", "soon", "--kafka-partitions", "many"},
			env:  map[string]string{"PIZZERIA_READY_MAX_LAG": "lots", "PIZZERIA_BROKER": "rabbit"},
			code: 2, says: []string{"--max-count 0", `--log-level "loud"`, `--shutdown-timeout "soon"`, `--kafka-partitions "many"`,
				`PIZZERIA_READY_MAX_LAG="lots"`, `--broker "rabbit"`}},
		{name: "bad sasl mechanism", args: []string{"--broker", "kafka", "--kafka-sasl-mechanism", "GSSAPI"}, code: 2, says: []string{"GSSAPI"}},
		{name: "bench flag from env", args: []string{"bench"}, env: map[string]string{"PIZZERIA_BENCH_RUNS": "0"},
			code: 2, says: []string{"--runs must be positive"}},
		{name: "bad public query url", args: []string{"command-api", "--public-query-url", "query:8081"}, code: 2, says: []string{`--public-query-url "query:8081"`}},

		// Secrets stay secret even where the value is wrong or echoed.
		{name: "secret flag given a bad value", args: []string{"--broker", "kafka", "--kafka-sasl-user", "u", "--kafka-sasl-mechanism", "NONE"},
			env: map[string]string{"PIZZERIA_KAFKA_SASL_PASSWORD": "pw SECRET"}, code: 2, says: []string{"NONE"}},
		{name: "secret given to a command that does not take it", args: []string{"command-api", "--admin-token=tok-SECRET"},
			code: 2, says: []string{"unknown flag: --admin-token"}},
		{name: "admin token on a serving node", args: []string{"query-api", "--data-dir", in("q"), "--http-addr", addr, "--log-level", "debug"},
			says: []string{"pizzeria is serving"}},

		// Help, version, completion.
		{name: "help", args: []string{"help"}, stdout: []string{"Roles (long-running, serve HTTP):", "command-api", "dlq", "completion"}},
		{name: "root -h lists commands", args: []string{"-h"}, stdout: []string{"Roles (long-running, serve HTTP):", "query-api", "--data-dir"}},
		{name: "help of one command", args: []string{"help", "healthcheck"}, stdout: []string{"--url"}},
		{name: "stage -h", args: []string{"stage", "-h"}, stdout: []string{"pizzeria stage NAME [flags]"}},
		{name: "version", args: []string{"--version"}, stdout: []string{"pizzeria ", "go1."}},
		{name: "bash completion", args: []string{"completion", "bash"}, stdout: []string{"bash completion"}},
		{name: "stage names complete", args: []string{"__complete", "stage", "ch"}, stdout: []string{"cheese"}},
		{name: "commands complete", args: []string{"__complete", "re"}, stdout: []string{"replay"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := runCLI(t, tc.args, tc.env)
			if o.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", o.code, tc.code, o.stdout, o.logs)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(o.stdout, want) {
					t.Errorf("stdout does not say %q:\n%s", want, o.stdout)
				}
			}
			for _, want := range tc.says {
				if !strings.Contains(o.logs, want) {
					t.Errorf("stderr does not say %q:\n%s", want, o.logs)
				}
			}
			if tc.code == 2 && o.stdout != "" {
				t.Errorf("a usage error printed to stdout:\n%s", o.stdout)
			}
			if strings.Contains(o.stdout+o.logs, "SECRET") {
				t.Errorf("a secret was printed:\nstdout:\n%s\nstderr:\n%s", o.stdout, o.logs)
			}
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
}

// exists checks that dir/name exists, or with name "" that dir does not.
func exists(dir, name string) func(*testing.T, outcome) {
	return func(t *testing.T, _ outcome) {
		t.Helper()
		_, err := os.Stat(filepath.Join(dir, name))
		if name == "" && err == nil {
			t.Errorf("%s was created", dir)
		}
		if name != "" && err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Every command's -h exits 0 and lists on stdout exactly the flags that
// command takes, and no secret from the environment as a default.
func TestEveryCommandsHelpListsItsOwnFlags(t *testing.T) {
	var all []string
	everyFlag := newFlagSet(&config{})
	everyFlag.VisitAll(func(f *pflag.Flag) { all = append(all, f.Name) })
	all = append(all, "url", "orders", "clients", "cpuprofile")

	var walk func(cmd *cobra.Command)
	seen := 0
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if cmd.Hidden {
			return
		}
		path := strings.Fields(cmd.CommandPath())[1:]
		t.Run(strings.Join(append([]string{"pizzeria"}, path...), " "), func(t *testing.T) {
			o := runCLI(t, append(path, "-h"), nil)
			if o.code != 0 || o.logs != "" {
				t.Fatalf("exit %d, stderr %q", o.code, o.logs)
			}
			_, flags, _ := strings.Cut(o.stdout, "\nFlags:\n")
			for _, name := range all {
				takes := cmd.Flags().Lookup(name) != nil
				if listed := strings.Contains(flags, "--"+name+" "); listed != takes {
					t.Errorf("--%s listed %v, taken %v:\n%s", name, listed, takes, o.stdout)
				}
			}
			if strings.Contains(o.stdout, "SECRET") {
				t.Errorf("help shows a secret:\n%s", o.stdout)
			}
		})
		seen++
	}
	walk(newCLI(osEnv, &testkit.Buffer{}, &testkit.Buffer{}).root)
	if seen < 12 {
		t.Fatalf("walked only %d commands", seen)
	}
}

// Every flag of every command has an environment twin, which takes effect
// in the flag's own syntax.
func TestEveryFlagHasAnEnvironmentTwin(t *testing.T) {
	var walk func(cmd *cobra.Command)
	flags := 0
	walk = func(cmd *cobra.Command) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			flags++
			if keys := f.Annotations[annotationEnv]; len(keys) != 1 || !strings.HasPrefix(keys[0], "PIZZERIA_") {
				t.Errorf("%s --%s has no environment twin", cmd.CommandPath(), f.Name)
			}
		})
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newCLI(osEnv, &testkit.Buffer{}, &testkit.Buffer{}).root)
	if flags < 100 {
		t.Fatalf("walked only %d flags", flags)
	}

	var cfg config
	fs := newFlagSet(&cfg)
	env := map[string]string{"PIZZERIA_KAFKA_TLS": "1", "PIZZERIA_KAFKA_BROKERS": "a:1, b:2", "PIZZERIA_MAX_COUNT": "7",
		"PIZZERIA_SHUTDOWN_TIMEOUT": "3s", "PIZZERIA_KAFKA_PARTITIONS": "12"}
	var p problems
	applyEnv(fs, func(k string) string { return env[k] }, &p)
	if err := joined(p, cfg.validate()); err != "" {
		t.Fatal(err)
	}
	if !cfg.Kafka.TLS.Enabled || !slices.Equal(cfg.Kafka.Brokers, []string{"a:1", "b:2"}) || cfg.MaxCount != 7 ||
		cfg.ShutdownTimeout != 3*time.Second || cfg.Kafka.Partitions != 12 {
		t.Fatalf("environment not applied: %+v", cfg)
	}
}

func joined(p problems, err error) string {
	if e := p.err(); e != nil {
		return e.Error()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// An offline command against a broker nobody answers on gives up in
// bounded time and says what to check.
func TestOfflineCommandGivesUpOnAnUnreachableBroker(t *testing.T) {
	for _, args := range [][]string{{"dlq", "list"}, {"dlq", "redrive"}, {"replay", "--data-dir", t.TempDir()}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			sasl := map[string]string{"PIZZERIA_KAFKA_SASL_MECHANISM": "PLAIN", "PIZZERIA_KAFKA_SASL_USER": "u"}
			o := runCLI(t, append(args, "--broker", "kafka", "--kafka-brokers", "127.0.0.1:1"), sasl)
			if o.code != 1 || !strings.Contains(o.logs, "check --kafka-brokers (PIZZERIA_KAFKA_BROKERS)") {
				t.Fatalf("exit %d: %s", o.code, o.logs)
			}
			if strings.Contains(o.stdout+o.logs, "SECRET") {
				t.Fatalf("a secret was printed: %s", o.logs)
			}
			if o.took > 15*time.Second {
				t.Fatalf("gave up only after %s", o.took)
			}
		})
	}
}

// A second process on a data dir in use says so, and what to do instead.
func TestSecondProcessOnADataDirIsToldWhy(t *testing.T) {
	dir := t.TempDir()
	start(t, "--data-dir", dir)
	o := runCLI(t, []string{"dlq", "list", "--data-dir", dir}, nil)
	if o.code != 1 || !strings.Contains(o.logs, "held by another pizzeria process") {
		t.Fatalf("exit %d: %s", o.code, o.logs)
	}
}

// In a split deployment the command API's Location names the query API.
func TestCommandAPIPointsLocationAtThePublicQueryURL(t *testing.T) {
	in := start(t, "command-api", "--data-dir", t.TempDir(), "--public-query-url", "http://query.example:8081")
	resp, err := http.Post(in.base+"/orders", "application/json", strings.NewReader(`{"count":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusAccepted || !strings.HasPrefix(loc, "http://query.example:8081/orders/") {
		t.Fatalf("%s, Location %q", resp.Status, loc)
	}
}

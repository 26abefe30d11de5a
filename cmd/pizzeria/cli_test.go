package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pizzeria/pizzeria/internal/testkit"
)

func TestCommandLine(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		code int
		says string
	}{
		{"help", []string{"help"}, nil, 0, ""},
		{"unknown command", []string{"bake"}, nil, 2, `unknown command "bake"`},
		{"unknown stage", []string{"stage", "sause", "-h"}, nil, 2, "unknown stage"},
		{"stage without a name", []string{"stage"}, nil, 2, "unknown stage"},
		{"dlq without an action", []string{"dlq"}, nil, 2, "dlq takes list or redrive"},
		{"bad broker flag", []string{"--broker", "rabbit"}, nil, 2, `--broker "rabbit"`},
		{"bad broker from env", nil, map[string]string{"PIZZERIA_BROKER": "rabbit"}, 2, `--broker "rabbit"`},
		{"flag beats env", []string{"--broker", "embedded", "-h"}, map[string]string{"PIZZERIA_BROKER": "rabbit"}, 0, ""},
		{"every problem at once", []string{"--max-count", "0", "--log-level", "loud", "--shutdown-timeout", "soon"}, nil, 2, "--max-count 0"},
		{"bad sasl mechanism", []string{"--broker", "kafka", "--kafka-sasl-mechanism", "GSSAPI"}, nil, 2, "GSSAPI"},
		{"unknown flag", []string{"--colour", "red"}, nil, 2, "flag provided but not defined"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errs testkit.Buffer
			getenv := func(k string) string { return tc.env[k] }
			code := run(cancelled, tc.args, getenv, &out, &errs)
			if code != tc.code || !strings.Contains(errs.String(), tc.says) {
				t.Fatalf("exit %d, want %d; stderr:\n%s\nwant it to say %q", code, tc.code, errs.String(), tc.says)
			}
		})
	}
}

func TestEveryProblemIsReportedTogether(t *testing.T) {
	var errs testkit.Buffer
	run(context.Background(), []string{"--max-count", "0", "--log-level", "loud", "--shutdown-timeout", "soon"},
		func(string) string { return "" }, &testkit.Buffer{}, &errs)
	for _, want := range []string{"--max-count 0", "--log-level \"loud\"", "--shutdown-timeout \"soon\""} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("stderr does not mention %s:\n%s", want, errs.String())
		}
	}
}

// A second process on a data dir in use says so, and what to do instead.
func TestSecondProcessOnADataDirIsToldWhy(t *testing.T) {
	dir := t.TempDir()
	start(t, "--data-dir", dir)
	var errs testkit.Buffer
	code := run(context.Background(), []string{"dlq", "list", "--data-dir", dir}, func(string) string { return "" }, &testkit.Buffer{}, &errs)
	if code != 1 || !strings.Contains(errs.String(), "held by another pizzeria process") {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
}

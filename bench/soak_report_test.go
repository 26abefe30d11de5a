package main

import (
	"strings"
	"testing"
	"time"
)

func TestSoakVerdictsFollowTheFigures(t *testing.T) {
	good := soakResult{
		opts:         soakOptions{duration: 10 * time.Minute, rate: 200, pizzas: 5},
		firstMinute:  soakTick{rss: 100 << 20},
		end:          soakTick{rss: 190 << 20, completed: 120000},
		restartRSS:   40 << 20,
		startup:      300 * time.Millisecond,
		diskPerPizza: 800,
	}
	tests := []struct {
		name     string
		change   func(*soakResult)
		failLine string // "" when every target holds
	}{
		{"all within", func(*soakResult) {}, ""},
		{"RSS grows past 2x", func(r *soakResult) { r.end.rss = 201 << 20 }, "RSS at the end"},
		{"restart reads the log", func(r *soakResult) { r.restartRSS = 300 << 20 }, "RSS after the restart"},
		{"slow start-up", func(r *soakResult) { r.startup = 2 * time.Second }, "start-up to ready"},
		{"fat records", func(r *soakResult) { r.diskPerPizza = 1001 }, "bytes on disk per pizza"},
		{"failed orders", func(r *soakResult) { r.end.failed = 1 }, "orders failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.change(&r)
			var failed []string
			for _, line := range strings.Split(r.render(), "\n") {
				if strings.HasSuffix(line, "**fail**") {
					failed = append(failed, line)
				}
			}
			switch {
			case tt.failLine == "" && len(failed) > 0:
				t.Errorf("failed with good figures: %q", failed)
			case tt.failLine != "" && (len(failed) != 1 || !strings.Contains(failed[0], tt.failLine)):
				t.Errorf("failed lines %q, want exactly one about %q", failed, tt.failLine)
			}
		})
	}
}

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// render prints the rows as a Markdown table of medians.
func render(rows []*row, ab bool) string {
	var b strings.Builder
	b.WriteString("| binary | deployment | shape | load | pizzas/s | events/s | POST p50 | POST p99 | done p50 | done p99 | CPU % | peak RSS MiB | disk B/pizza | replay events/s |\n")
	b.WriteString("|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for i, r := range rows {
		s := r.shape
		rate := median(r.runs, func(x sample) float64 { return pizzasPerSec(s, x) })
		events := rate * float64(5*s.pizzas+2) / float64(s.pizzas)
		ms := func(f func(sample) time.Duration) string {
			return fmt.Sprintf("%.1f ms", median(r.runs, func(x sample) float64 { return float64(f(x)) / 1e6 }))
		}
		disk := "—"
		if !r.dep.kafka {
			disk = fmt.Sprintf("%.0f", median(r.runs, func(x sample) float64 { return x.diskPerPizza }))
		}
		replay := "—"
		if len(r.replay) > 0 {
			replay = fmt.Sprintf("%.0f", median(r.replay, func(x float64) float64 { return x }))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.0f | %.0f | %s | %s | %s | %s | %.0f | %.0f | %s | %s |\n",
			filepath.Base(r.binary), r.dep.name, s, r.mode, rate, events,
			ms(func(x sample) time.Duration { return pct(x.post, 0.5) }), ms(func(x sample) time.Duration { return pct(x.post, 0.99) }),
			ms(func(x sample) time.Duration { return pct(x.completion, 0.5) }), ms(func(x sample) time.Duration { return pct(x.completion, 0.99) }),
			median(r.runs, func(x sample) float64 { return x.cpuPct }),
			median(r.runs, func(x sample) float64 { return float64(x.peakRSS) / (1 << 20) }), disk, replay)
		if ab && i%2 == 1 && r.mode == "closed" {
			base := median(rows[i-1].runs, func(x sample) float64 { return pizzasPerSec(s, x) })
			fmt.Fprintf(&b, "| ratio | | | | **%.2f×** | | | | | | | | | |\n", rate/base)
		}
	}
	return b.String()
}

// appendResults adds the table to path under a heading with the date, the
// commit and the machine.
func appendResults(path, table string) error {
	rev, _ := exec.Command("git", "describe", "--always", "--dirty").Output()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "\n## %s, commit %s, %d cores\n\n%s", time.Now().UTC().Format("2006-01-02 15:04 MST"),
		strings.TrimSpace(string(rev)), runtime.NumCPU(), table)
	return err
}

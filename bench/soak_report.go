package main

import (
	"fmt"
	"strings"
	"time"
)

// Targets of a soak on the embedded log: memory and start-up that do not
// grow with the log's length, and records that cost what they hold.
const (
	soakMaxRSSGrowth  = 2.0 // end and restart RSS over the first minute's
	soakMaxStartup    = 2 * time.Second
	soakMaxDiskPerPza = 1000.0 // bytes on disk per pizza, every file in the data dir
)

// render prints the summary row and, under it, each target with the
// measured figure and whether the figure meets it.
func (r *soakResult) render() string {
	var b strings.Builder
	b.WriteString("| soak | orders/s offered | pizzas/order | duration | orders completed | failed | done p50 | done p99 | RSS 1st min MiB | RSS end MiB | RSS after restart MiB | heap 1st min MiB | heap end MiB | heap after restart MiB | start-up to ready | disk B/pizza |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	fmt.Fprintf(&b, "| embedded | %.0f (%.1f achieved) | %d | %s | %d | %d | %s | %s | %.0f | %.0f | %.0f | %.1f | %.1f | %.1f | %s | %.0f |\n",
		r.opts.rate, r.achievedOrdersPerS, r.opts.pizzas, r.opts.duration, r.end.completed, r.end.failed,
		ms(pct(r.completion, 0.5)), ms(pct(r.completion, 0.99)),
		mib(r.firstMinute.rss), mib(r.end.rss), mib(r.restartRSS),
		mib(r.firstMinute.heap), mib(r.end.heap), mib(r.restartHeap),
		r.startup.Round(time.Millisecond), r.diskPerPizza)
	b.WriteString("\n")
	first := float64(r.firstMinute.rss)
	check(&b, fmt.Sprintf("RSS at the end / after the first minute: %.2f×", float64(r.end.rss)/first), fmt.Sprintf("≤ %.0f×", soakMaxRSSGrowth), float64(r.end.rss) <= soakMaxRSSGrowth*first)
	check(&b, fmt.Sprintf("RSS after the restart / after the first minute: %.2f×", float64(r.restartRSS)/first), fmt.Sprintf("≤ %.0f×", soakMaxRSSGrowth), float64(r.restartRSS) <= soakMaxRSSGrowth*first)
	check(&b, fmt.Sprintf("start-up to ready: %s", r.startup.Round(time.Millisecond)), fmt.Sprintf("< %s", soakMaxStartup), r.startup < soakMaxStartup)
	check(&b, fmt.Sprintf("bytes on disk per pizza: %.0f", r.diskPerPizza), fmt.Sprintf("≤ %.0f", soakMaxDiskPerPza), r.diskPerPizza <= soakMaxDiskPerPza)
	check(&b, fmt.Sprintf("orders failed: %d", r.end.failed), "0", r.end.failed == 0)
	if f := r.firstMinute; float64(f.completed) < 0.9*float64(f.placed) {
		// A kitchen behind its load holds the backlog in memory, so the
		// first minute's RSS is no quiet baseline and the ratios flatter.
		fmt.Fprintf(&b, "- note: the kitchen was behind the offered load (after %s: %d orders placed, %d completed); the RSS ratios compare against that minute\n",
			f.elapsed, f.placed, f.completed)
	}
	for _, e := range r.firstErrs {
		fmt.Fprintf(&b, "  - first errors: %s\n", e)
	}
	return b.String()
}

func check(b *strings.Builder, figure, target string, ok bool) {
	verdict := "**fail**"
	if ok {
		verdict = "pass"
	}
	fmt.Fprintf(b, "- %s (target %s): %s\n", figure, target, verdict)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

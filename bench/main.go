// Command bench measures the whole kitchen end to end, as a user runs it:
// the pizzeria binary in its own processes (every role in one, or every
// role its own on Kafka), driven over HTTP by closed-loop clients that place
// an order and wait (?wait=) until it is completed. It prints, per row, the
// medians of several runs and appends the table to bench/RESULTS.md.
//
//	go run ./bench                          # embedded rows; Kafka rows too when a broker is up
//	go run ./bench --ab /tmp/pizzeria-base  # the same rows, old and new binary alternately
//	go run ./bench --only sse               # 1000 × 10 with and without open kitchen streams
//	go run ./bench --only sse --ab /tmp/pizzeria-base  # the same, old and new binary alternately
//	go run ./bench --soak 10m               # one long open-loop run: memory, disk, restart
//
// The machines this runs on are shared and noisy: compare only figures from
// one run, alternating, as --ab does.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type options struct {
	binary, ab, brokers, results, only string
	runs, clients, sseClients          int
	replay, halfPeak                   bool
	soak                               soakOptions
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "", "pizzeria binary to measure (default: build ./cmd/pizzeria)")
	flag.StringVar(&o.ab, "ab", "", "a second (base) binary: run it and --binary alternately and report the ratio")
	flag.StringVar(&o.brokers, "kafka-brokers", envOr("PIZZERIA_BENCH_KAFKA", "127.0.0.1:19092"), "Kafka for the Kafka rows; they are skipped, and said so, when nothing listens there")
	flag.StringVar(&o.results, "results", "bench/RESULTS.md", "append the table here (empty: do not)")
	flag.StringVar(&o.only, "only", "", "run only rows whose deployment contains this (embedded, kafka, split)")
	flag.IntVar(&o.runs, "runs", 3, "runs per row; figures are medians")
	flag.IntVar(&o.clients, "clients", 8, "closed-loop clients")
	flag.BoolVar(&o.replay, "replay", true, "measure offline replay of the embedded log")
	flag.BoolVar(&o.halfPeak, "half-peak", true, "measure latency at half the peak rate (embedded, 1000 × 10, open loop)")
	flag.IntVar(&o.sseClients, "sse-clients", 1000, "open GET /kitchen/events streams for the SSE row (embedded, 1000 × 10, beside 0 streams); 0: no SSE row")
	flag.DurationVar(&o.soak.duration, "soak", 0, "instead of the table, soak one embedded process this long (e.g. 10m), then restart it")
	flag.Float64Var(&o.soak.rate, "soak-rate", 200, "orders per second offered during the soak (open loop)")
	flag.IntVar(&o.soak.pizzas, "soak-pizzas", 5, "pizzas per order during the soak")
	flag.DurationVar(&o.soak.every, "soak-every", 30*time.Second, "how often the soak prints a progress row")
	flag.Parse()
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

var shapes = []shape{{100, 100}, {1000, 10}, {200, 5}}

// row is one line of the table: what ran and its runs.
type row struct {
	binary string
	dep    deployment
	shape  shape
	mode   string // "closed" or "half peak"
	runs   []sample
	replay []float64 // events/s of offline replays
}

func run(ctx context.Context, o options, out io.Writer) error {
	if o.binary == "" {
		bin, err := build()
		if err != nil {
			return err
		}
		o.binary = bin
	}
	if o.soak.duration > 0 {
		return runSoak(o, out)
	}
	binaries := []string{o.binary}
	if o.ab != "" {
		binaries = []string{o.ab, o.binary} // base first in every pair
	}
	kafka := kafkaUp(ctx, o.brokers)
	if !kafka {
		fmt.Fprintf(out, "no Kafka at %s: Kafka rows skipped (make kafka-up starts one)\n", o.brokers)
	}
	var rows []*row
	for _, d := range deployments {
		if (d.kafka && !kafka) || (o.only != "" && !strings.Contains(d.name, o.only)) || o.only == "sse" {
			continue
		}
		for _, s := range shapes {
			pair := make([]*row, len(binaries))
			for i, b := range binaries {
				pair[i] = &row{binary: b, dep: d, shape: s, mode: "closed"}
			}
			for r := 1; r <= o.runs; r++ {
				for _, rw := range pair {
					smp, rate, err := once(rw.binary, d, s, o, r, 0, o.replay && !d.kafka && s.pizzas == 100)
					if err != nil {
						return fmt.Errorf("%s %s run %d (%s): %w", d.name, s, r, rw.binary, err)
					}
					rw.runs = append(rw.runs, smp)
					if rate > 0 {
						rw.replay = append(rw.replay, rate)
					}
					fmt.Fprintf(out, "%-18s %-10s run %d %-28s %8.0f pizzas/s\n", d.name, s, r, filepath.Base(rw.binary), pizzasPerSec(s, smp))
				}
			}
			rows = append(rows, pair...)
			if o.halfPeak && !d.kafka && s == (shape{1000, 10}) {
				for _, rw := range pair {
					peak := median(rw.runs, func(x sample) float64 { return float64(s.orders) / x.took.Seconds() })
					hp := &row{binary: rw.binary, dep: d, shape: s, mode: fmt.Sprintf("open %.0f orders/s", peak/2)}
					for r := 1; r <= o.runs; r++ {
						smp, _, err := once(rw.binary, d, s, o, r, peak/2, false)
						if err != nil {
							return fmt.Errorf("%s %s half peak: %w", d.name, s, err)
						}
						hp.runs = append(hp.runs, smp)
					}
					rows = append(rows, hp)
				}
			}
		}
	}
	table := ""
	if len(rows) > 0 {
		table = render(rows, o.ab != "")
	}
	if o.sseClients > 0 && (o.only == "" || o.only == "sse" || o.only == "embedded") {
		sse, err := sseRows(o, binaries, out)
		if err != nil {
			return err
		}
		table += "\n" + sse
	}
	fmt.Fprint(out, "\n"+table)
	if o.results == "" {
		return nil
	}
	return appendResults(o.results, table)
}

// runSoak runs the soak and appends its progress and summary to the
// results.
func runSoak(o options, out io.Writer) error {
	if o.soak.rate <= 0 || o.soak.pizzas <= 0 || o.soak.every <= 0 {
		return fmt.Errorf("--soak-rate, --soak-pizzas and --soak-every must be positive")
	}
	res, err := soak(o.binary, o.soak, out)
	if err != nil {
		return err
	}
	summary := res.render()
	fmt.Fprint(out, "\n"+summary)
	if o.results == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString(soakProgressHeader)
	for _, t := range res.ticks {
		b.WriteString(t.row())
	}
	b.WriteString(res.end.row())
	return appendResults(o.results, b.String()+"\n"+summary)
}

// once launches a fresh kitchen, measures one run and stops it; with rate
// > 0 the load is open-loop at that many orders per second. With replay it
// then times pizzeria replay over the run's embedded log.
func once(binary string, d deployment, s shape, o options, run int, rate float64, replay bool) (sample, float64, error) {
	k, err := launch(binary, d, o.brokers, run)
	if err != nil {
		return sample{}, 0, err
	}
	defer k.remove()
	var smp sample
	if rate > 0 {
		smp, err = openLoop(k, s, rate)
	} else {
		smp, err = closedLoop(k, s, o.clients)
	}
	k.stop()
	if err != nil {
		return smp, 0, err
	}
	smp.diskPerPizza = float64(dirSize(k.dir)) / float64((s.orders+1)*s.pizzas)
	if !replay {
		return smp, 0, nil
	}
	rate, err = timeReplay(binary, filepath.Join(k.dir, "serve"))
	return smp, rate, err
}

var replayed = regexp.MustCompile(`replayed (\d+) events`)

// timeReplay runs pizzeria replay over dataDir and returns events/s, by the
// wall clock of the whole command (opening the files included).
func timeReplay(binary, dataDir string) (float64, error) {
	t0 := time.Now()
	outb, err := exec.Command(binary, "replay", "--data-dir", dataDir).CombinedOutput()
	took := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("replay: %v: %s", err, lastLines(string(outb)))
	}
	m := replayed.FindSubmatch(outb)
	if m == nil {
		return 0, fmt.Errorf("replay printed no count: %s", lastLines(string(outb)))
	}
	n, _ := strconv.Atoi(string(m[1]))
	return float64(n) / took.Seconds(), nil
}

func build() (string, error) {
	dir, err := os.MkdirTemp("", "pizzeria-bench-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pizzeria")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/pizzeria")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return bin, cmd.Run()
}

func pizzasPerSec(s shape, x sample) float64 {
	return float64(s.orders*s.pizzas) / x.took.Seconds()
}

func median[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// sseMaxDrop is how much of its throughput the embedded kitchen may lose
// to open kitchen streams: watchers must not slow the kitchen.
const sseMaxDrop = 0.10

var sseShape = shape{1000, 10}

// sseRows runs the embedded kitchen closed-loop at 1000 × 10 with no
// stream open and with o.sseClients kitchen streams open, alternately, and
// renders both rows and the drop between them. Given two binaries (base
// first, as --ab gives them) it measures each the same way, the binaries
// alternating within every run, and renders a pair of rows and a drop per
// binary. A binary without the stream route gives a sentence saying so,
// not a failed bench, and the other binary is still measured.
func sseRows(o options, binaries []string, out io.Writer) (string, error) {
	n := o.sseClients
	if err := fdRoom(n); err != nil {
		return "", err
	}
	emb := deployment{name: "embedded"}
	type pair struct {
		without, with   *row
		dropped, frames int64
		missing         string // why the binary was not measured
	}
	pairs := make([]*pair, len(binaries))
	for i, bin := range binaries {
		pairs[i] = &pair{
			without: &row{binary: bin, dep: emb, shape: sseShape, mode: "closed, 0 streams"},
			with:    &row{binary: bin, dep: emb, shape: sseShape, mode: fmt.Sprintf("closed, %d streams", n)},
		}
	}
	for r := 1; r <= o.runs; r++ {
		for _, p := range pairs {
			for _, rw := range []*row{p.with, p.without} { // with first: a missing route shows at once
				if p.missing != "" {
					break
				}
				streams := 0
				if rw == p.with {
					streams = n
				}
				smp, st, err := sseOnce(rw.binary, o, r, streams)
				if errors.Is(err, errNoKitchenStream) {
					p.missing = fmt.Sprintf("SSE row not measured: %v.\n", err)
					fmt.Fprint(out, p.missing)
					break
				}
				if err != nil {
					return "", fmt.Errorf("embedded %s with %d streams, run %d (%s): %w", sseShape, streams, r, rw.binary, err)
				}
				rw.runs = append(rw.runs, smp)
				if st != nil {
					p.dropped += st.dropped.Load()
					p.frames += st.frames.Load()
				}
				fmt.Fprintf(out, "%-18s %-10s run %d %-14s %-22s %8.0f pizzas/s\n", emb.name, sseShape, r, filepath.Base(rw.binary), rw.mode, pizzasPerSec(sseShape, smp))
			}
		}
	}
	rate := func(rw *row) float64 {
		return median(rw.runs, func(x sample) float64 { return pizzasPerSec(sseShape, x) })
	}
	var missing []string
	var measured []*pair
	var table []*row
	for _, p := range pairs {
		if p.missing != "" {
			missing = append(missing, p.missing)
			continue
		}
		measured = append(measured, p)
		table = append(table, p.without, p.with)
	}
	if len(measured) == 0 {
		return strings.Join(missing, ""), nil
	}
	var b strings.Builder
	b.WriteString(render(table, false))
	b.WriteString("\n")
	for _, m := range missing {
		b.WriteString(m)
	}
	for _, p := range measured {
		name := ""
		if len(pairs) > 1 {
			name = filepath.Base(p.with.binary) + ": "
		}
		drop := 1 - rate(p.with)/rate(p.without)
		check(&b, fmt.Sprintf("%spizzas/s with %d open kitchen streams: %.0f against %.0f without, a drop of %.1f%%", name, n, rate(p.with), rate(p.without), drop*100),
			fmt.Sprintf("≤ %.0f%%", sseMaxDrop*100), drop <= sseMaxDrop)
		fmt.Fprintf(&b, "- %sthe driver (%d order clients and the stream readers, on the same cores) used %.0f%% CPU with the streams, %.0f%% without\n", name,
			o.clients, median(p.with.runs, func(x sample) float64 { return x.driverCPUPct }), median(p.without.runs, func(x sample) float64 { return x.driverCPUPct }))
		fmt.Fprintf(&b, "- %sthe streams received %d events in all (%.0f per stream per run); the server ended %d of them early\n", name,
			p.frames, float64(p.frames)/float64(n*o.runs), p.dropped)
	}
	return b.String(), nil
}

// sseOnce launches a fresh embedded kitchen, opens n kitchen streams (none
// if n is 0), runs the closed loop and closes everything.
func sseOnce(binary string, o options, run, n int) (sample, *streams, error) {
	k, err := launch(binary, deployment{name: "embedded"}, "", run)
	if err != nil {
		return sample{}, nil, err
	}
	defer k.remove()
	defer k.stop()
	var st *streams
	if n > 0 {
		if st, err = openStreams(k.read, n); err != nil {
			return sample{}, nil, err
		}
	}
	cpu0 := selfCPU()
	smp, err := closedLoop(k, sseShape, o.clients)
	smp.driverCPUPct = float64(selfCPU()-cpu0) / float64(smp.took) * 100
	if st != nil {
		st.stop() // before the server goes, so no stream counts as dropped
	}
	k.stop()
	smp.diskPerPizza = float64(dirSize(k.dir)) / float64((sseShape.orders+1)*sseShape.pizzas)
	return smp, st, err
}

// selfCPU is the CPU time this process has used: the stream readers share
// the machine with the kitchen, so their cost is part of what a row shows.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package main

import (
	"errors"
	"fmt"
	"io"
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
// renders both rows and the drop between them. A binary without the
// stream route gives a sentence saying so, not a failed bench.
func sseRows(o options, binary string, out io.Writer) (string, error) {
	n := o.sseClients
	if err := fdRoom(n); err != nil {
		return "", err
	}
	emb := deployment{name: "embedded"}
	without := &row{binary: binary, dep: emb, shape: sseShape, mode: "closed, 0 streams"}
	with := &row{binary: binary, dep: emb, shape: sseShape, mode: fmt.Sprintf("closed, %d streams", n)}
	var dropped, frames int64
	for r := 1; r <= o.runs; r++ {
		for _, rw := range []*row{with, without} { // with first: a missing route shows at once
			streams := 0
			if rw == with {
				streams = n
			}
			smp, st, err := sseOnce(binary, o, r, streams)
			if errors.Is(err, errNoKitchenStream) {
				msg := fmt.Sprintf("SSE row not measured: %v.\n", err)
				fmt.Fprint(out, msg)
				return msg, nil
			}
			if err != nil {
				return "", fmt.Errorf("embedded %s with %d streams, run %d: %w", sseShape, streams, r, err)
			}
			rw.runs = append(rw.runs, smp)
			if st != nil {
				dropped += st.dropped.Load()
				frames += st.frames.Load()
			}
			fmt.Fprintf(out, "%-18s %-10s run %d %-28s %8.0f pizzas/s\n", emb.name, sseShape, r, rw.mode, pizzasPerSec(sseShape, smp))
		}
	}
	rate := func(rw *row) float64 {
		return median(rw.runs, func(x sample) float64 { return pizzasPerSec(sseShape, x) })
	}
	drop := 1 - rate(with)/rate(without)
	var b strings.Builder
	b.WriteString(render([]*row{without, with}, false))
	b.WriteString("\n")
	check(&b, fmt.Sprintf("pizzas/s with %d open kitchen streams: %.0f against %.0f without, a drop of %.1f%%", n, rate(with), rate(without), drop*100),
		fmt.Sprintf("≤ %.0f%%", sseMaxDrop*100), drop <= sseMaxDrop)
	fmt.Fprintf(&b, "- the driver (%d order clients and the stream readers, on the same cores) used %.0f%% CPU with the streams, %.0f%% without\n",
		o.clients, median(with.runs, func(x sample) float64 { return x.driverCPUPct }), median(without.runs, func(x sample) float64 { return x.driverCPUPct }))
	fmt.Fprintf(&b, "- the streams received %d events in all (%.0f per stream per run); the server ended %d of them early\n",
		frames, float64(frames)/float64(n*o.runs), dropped)
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

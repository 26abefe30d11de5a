package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// deployment is a way to run the kitchen.
type deployment struct {
	name  string
	kafka bool
	split bool // every role its own process
}

var deployments = []deployment{
	{name: "embedded"},
	{name: "kafka all-in-one", kafka: true},
	{name: "kafka split roles", kafka: true, split: true},
}

// kitchen is a running deployment: where to place orders, where to read
// them, and its processes.
type kitchen struct {
	place, read string // base URLs
	procs       []*proc
	dir         string
}

func (k *kitchen) stop() {
	for i := len(k.procs) - 1; i >= 0; i-- {
		k.procs[i].stop()
	}
}

func (k *kitchen) cpuTicks() (n int64) {
	for _, p := range k.procs {
		n += p.cpuTicks()
	}
	return n
}

func (k *kitchen) peakRSS() (n int64) {
	for _, p := range k.procs {
		n += p.peakRSS()
	}
	return n
}

// launch starts d in a fresh directory; on Kafka every run gets its own
// topics through a fresh topic prefix.
func launch(binary string, d deployment, brokers string, run int) (*kitchen, error) {
	dir, err := os.MkdirTemp("", "pizzeria-bench-")
	if err != nil {
		return nil, err
	}
	k := &kitchen{dir: dir}
	var common, env []string
	if d.kafka {
		prefix := fmt.Sprintf("bench-%d-%d-", time.Now().UnixNano(), run)
		common = []string{"--broker", "kafka", "--kafka-brokers", brokers, "--topic-prefix", prefix}
	}
	start := func(name string, args ...string) (*proc, error) {
		p, err := startProc(binary, name, dir, append(args, common...), env)
		if err == nil {
			k.procs = append(k.procs, p)
		}
		return p, err
	}
	fail := func(err error) (*kitchen, error) {
		k.stop()
		os.RemoveAll(dir)
		return nil, err
	}
	if !d.split {
		p, err := start("serve", "serve")
		if err != nil {
			return fail(err)
		}
		k.place, k.read = "http://"+p.addr, "http://"+p.addr
		return k, nil
	}
	roles := [][]string{{"order-manager"}, {"stage", "sauce"}, {"stage", "cheese"}, {"stage", "meats"}, {"stage", "veggies"}}
	for _, r := range roles {
		if _, err := start(strings.Join(r, "-"), r...); err != nil {
			return fail(err)
		}
	}
	q, err := start("query-api", "query-api")
	if err != nil {
		return fail(err)
	}
	c, err := start("command-api", "command-api")
	if err != nil {
		return fail(err)
	}
	k.place, k.read = "http://"+c.addr, "http://"+q.addr
	return k, nil
}

func (k *kitchen) remove() { os.RemoveAll(k.dir) }

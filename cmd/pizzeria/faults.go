package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/internal/faults"
)

// probeBytes is what the background probe writes while the data dir's
// disk is failing: about what one busy commit of the log writes.
const probeBytes = 1 << 20

// newWriteGate watches every write the process makes. On the embedded log
// a failing disk is probed with a scratch file in the data dir; on Kafka
// the brokers are pinged.
func newWriteGate(cfg *config, t transport, logger *slog.Logger) *faults.Gate {
	probe := faults.DiskProbe(cfg.DataDir, probeBytes)
	if cfg.Broker == "kafka" {
		probe = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return t.Ping(ctx)
		}
	}
	return faults.New(faults.Config{Logger: logger, Probe: probe})
}

// gatedTransport is a transport whose publisher waits while writes fail,
// so the message handlers back off together instead of each retrying.
type gatedTransport struct {
	transport
	pub message.Publisher
}

func (g gatedTransport) Publisher() message.Publisher { return g.pub }

func gate(t transport, g *faults.Gate) transport {
	return gatedTransport{transport: t, pub: g.Publisher(t.Publisher(), true)}
}

package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/query"
)

// Defaults of a KitchenFeed.
const (
	DefaultClientBuffer = 256  // flushes a client may fall behind before it is dropped
	feedRing            = 1024 // frames kept for Last-Event-ID resumption
	feedFlush           = 250 * time.Millisecond
	feedMaxPending      = 512 // placements or completions held per flush; more are only counted
	// feedShards is how many groups the clients are handed each flush in,
	// spread evenly over the flush interval: a thousand watchers wake a
	// hundred at a time, and the kitchen's own goroutines never queue
	// behind all of them at once.
	feedShards = 10
	// feedWritesPerSecond bounds the writes a feed asks of its clients'
	// sockets in all: with more clients than that at four flushes a
	// second, flushes come less often, down to one per Interval.
	feedWritesPerSecond = 1000
)

// KitchenFeedConfig configures a KitchenFeed.
type KitchenFeedConfig struct {
	// CheeseReport, when set, is sent each second the report changed.
	CheeseReport *query.CheeseReportHandler
	// Lag, when set, is how many events this node's consumers have yet to
	// process; it rides on each "rates" frame.
	Lag func(ctx context.Context) (int64, error)
	// ClientBuffer is DefaultClientBuffer if 0.
	ClientBuffer int
	// Interval between "rates" frames (one second if 0).
	Interval time.Duration
	// Registry gets the feed's metrics (none if nil).
	Registry *prometheus.Registry
}

// KitchenFeed turns the stream of applied events into the frames of
// GET /kitchen/events: placements, completions and dead letters as they
// happen (each frame a JSON array of those since the last one, flushed four
// times a second, or less often with more than feedWritesPerSecond/4
// clients, down to once a second), pizzas per stage per second, the cheese
// report when it changes.
//
// Feeding it never blocks: Observe and DeadLetter only count and append
// under a mutex that nothing else holds for longer, and a goroutine of its
// own publishes. Publishing costs the same however many clients watch: the
// frames of one flush are encoded once, into the bytes every client is sent,
// and each client is handed that one batch by a send that never waits. A
// client whose buffer is full is dropped (its stream ends, and it may
// reconnect with Last-Event-ID). Clients write to their sockets in their
// own goroutines, with no lock held.
type KitchenFeed struct {
	cfg     KitchenFeedConfig
	boot    string // tells frames of this process from those of an earlier one
	dropped prometheus.Counter
	stop    context.CancelFunc
	done    chan struct{}

	mu          sync.Mutex // guards the pending counts below
	placed      []placedFrame
	completed   []completedFrame
	letters     []deadLetterFrame
	overflow    int // placements and completions not sent one by one
	stages      [events.StageVeggies + 1]int
	cheeseDirty bool
	deadTotal   int64

	subMu   sync.Mutex // guards what follows
	seq     uint64
	ring    []frame
	batch   []byte // the frames of the last flush, handed out shard by shard
	subs    [feedShards]map[*feedClient]struct{}
	nextSub int // shard of the next client
}

// frame is one event as sent: its id, event and data lines, encoded once.
type frame struct {
	seq  uint64
	text []byte
}

// feedClient receives batches: the frames of one flush, back to back.
type feedClient struct {
	ch    chan []byte
	shard int
	after uint64 // the last frame it has been handed (or that came before it)
}

// named is a frame before it is numbered and encoded.
type named struct {
	name string
	v    any
}

type placedFrame struct {
	OrderID  string    `json:"order_id"`
	Count    int       `json:"count"`
	PlacedAt time.Time `json:"placed_at"`
}

type completedFrame struct {
	OrderID     string    `json:"order_id"`
	CompletedAt time.Time `json:"completed_at"`
}

type deadLetterFrame struct {
	Topic  string    `json:"topic"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

type ratesFrame struct {
	IntervalSeconds  float64        `json:"interval_seconds"`
	Pizzas           map[string]int `json:"pizzas"` // by stage reached in the interval
	Lag              *int64         `json:"lag"`
	DeadLettersTotal int64          `json:"dead_letters_total"`
	Skipped          int            `json:"skipped"` // placements/completions not sent one by one
}

// NewKitchenFeed starts a feed; Close stops it.
func NewKitchenFeed(cfg KitchenFeedConfig) (*KitchenFeed, error) {
	if cfg.ClientBuffer <= 0 {
		cfg.ClientBuffer = DefaultClientBuffer
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	f := &KitchenFeed{cfg: cfg, boot: strconv.FormatInt(time.Now().UnixNano(), 36),
		done: make(chan struct{}), cheeseDirty: true}
	for i := range f.subs {
		f.subs[i] = map[*feedClient]struct{}{}
	}
	f.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pizzeria_sse_clients_dropped_total",
		Help: "Kitchen-stream clients dropped because they fell too far behind.",
	})
	if cfg.Registry != nil {
		var err error
		if f.dropped, err = register(cfg.Registry, f.dropped); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.stop = cancel
	go f.run(ctx)
	return f, nil
}

// Close stops publishing and ends every client's stream.
func (f *KitchenFeed) Close() error {
	f.stop()
	<-f.done
	f.subMu.Lock()
	defer f.subMu.Unlock()
	for _, subs := range f.subs {
		for c := range subs {
			close(c.ch)
			delete(subs, c)
		}
	}
	return nil
}

// Observe takes events applied to the views; it is a projections observer.
func (f *KitchenFeed) Observe(evs []events.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range evs {
		switch b := e.Body.(type) {
		case *events.OrderPlaced:
			if len(f.placed) < feedMaxPending {
				f.placed = append(f.placed, placedFrame{b.OrderID, b.Count, b.PlacedAt.UTC()})
			} else {
				f.overflow++
			}
		case *events.OrderCompleted:
			if len(f.completed) < feedMaxPending {
				f.completed = append(f.completed, completedFrame{b.OrderID, b.CompletedAt.UTC()})
			} else {
				f.overflow++
			}
		case *events.PizzaEvent:
			if b.Stage >= 0 && int(b.Stage) < len(f.stages) {
				f.stages[b.Stage]++
			}
			if b.Stage == events.StageCheese {
				f.cheeseDirty = true
			}
		}
	}
}

// DeadLetter takes a message sent to the dead-letter topic.
func (f *KitchenFeed) DeadLetter(topic, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deadTotal++
	if len(f.letters) < feedMaxPending {
		f.letters = append(f.letters, deadLetterFrame{topic, reason, time.Now().UTC()})
	}
}

func (f *KitchenFeed) run(ctx context.Context) {
	defer close(f.done)
	// One clock for every frame: all that is due at a flush goes out as
	// one batch, so a client wakes and writes once per flush, not once per
	// frame. The batch reaches one shard of the clients per tick.
	period := f.flushPeriod()
	tick := time.NewTicker(period / feedShards)
	defer tick.Stop()
	ratesAt := time.Now()
	nextRates := ratesAt.Add(f.cfg.Interval)
	var out []named
	for shard := 0; ; shard = (shard + 1) % feedShards {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if shard == 0 {
				if p := f.flushPeriod(); p != period {
					period = p
					tick.Reset(period / feedShards)
				}
				out = f.takeEvents(out[:0])
				if !now.Add(period / 2).Before(nextRates) {
					// The flush clock need not divide the interval: a
					// frame gives the time its counts really cover.
					out = f.takeRates(ctx, out, now.Sub(ratesAt))
					ratesAt = now
					for !now.Add(period / 2).Before(nextRates) {
						nextRates = nextRates.Add(f.cfg.Interval)
					}
				}
				f.publish(out)
			}
			f.deliver(shard)
		}
	}
}

// flushPeriod is feedFlush, or longer with so many clients that flushing
// that often would take more than feedWritesPerSecond writes; never longer
// than the rates interval.
func (f *KitchenFeed) flushPeriod() time.Duration {
	f.subMu.Lock()
	n := 0
	for _, subs := range f.subs {
		n += len(subs)
	}
	f.subMu.Unlock()
	return min(max(time.Duration(n)*time.Second/feedWritesPerSecond, feedFlush), f.cfg.Interval)
}

// takeEvents appends the placements, completions and dead letters pending
// since the last flush to out.
func (f *KitchenFeed) takeEvents(out []named) []named {
	f.mu.Lock()
	placed, completed, letters := f.placed, f.completed, f.letters
	f.placed, f.completed, f.letters = nil, nil, nil
	f.mu.Unlock()
	// One frame per kind and flush, however busy the kitchen: a burst must
	// not make frames many or large (feedMaxPending bounds each).
	if len(placed) > 0 {
		out = append(out, named{"placed", placed})
	}
	if len(completed) > 0 {
		out = append(out, named{"completed", completed})
	}
	if len(letters) > 0 {
		out = append(out, named{"dead_letter", letters})
	}
	return out
}

// takeRates appends the rates of the time covered since the last ones, and
// the cheese report if it may have changed, to out.
func (f *KitchenFeed) takeRates(ctx context.Context, out []named, covered time.Duration) []named {
	f.mu.Lock()
	stages, dirty, dead, skipped := f.stages, f.cheeseDirty, f.deadTotal, f.overflow
	f.stages, f.cheeseDirty, f.overflow = [len(f.stages)]int{}, false, 0
	f.mu.Unlock()
	r := ratesFrame{IntervalSeconds: covered.Seconds(), Pizzas: map[string]int{}, DeadLettersTotal: dead, Skipped: skipped}
	for s, n := range stages {
		r.Pizzas[events.Stage(s).String()] = n
	}
	if f.cfg.Lag != nil {
		lctx, cancel := context.WithTimeout(ctx, time.Second)
		if lag, err := f.cfg.Lag(lctx); err == nil {
			r.Lag = &lag
		}
		cancel()
	}
	out = append(out, named{"rates", r})
	if dirty && f.cfg.CheeseReport != nil {
		if rep, err := f.cfg.CheeseReport.Handle(ctx); err == nil {
			out = append(out, named{"cheese", toCheeseReportJSON(rep)})
		}
	}
	return out
}

// publish numbers and encodes frames once, keeps them in the ring and
// makes them the batch deliver hands out.
func (f *KitchenFeed) publish(frames []named) {
	if len(frames) == 0 {
		return // the last batch stays, and every client already has it
	}
	f.subMu.Lock()
	defer f.subMu.Unlock()
	var batch []byte
	for _, n := range frames {
		data, err := json.Marshal(n.v)
		if err != nil {
			continue // only plain structs are published
		}
		f.seq++
		fr := frame{seq: f.seq, text: encodeEvent(f.boot+"-"+strconv.FormatUint(f.seq, 10), n.name, data)}
		if len(f.ring) == feedRing {
			copy(f.ring, f.ring[1:])
			f.ring = f.ring[:feedRing-1]
		}
		f.ring = append(f.ring, fr)
		batch = append(batch, fr.text...)
	}
	f.batch = batch
}

// deliver hands the last batch to the clients of one shard that do not
// have its frames yet, by a send that never waits: the same bytes to
// every client, which nobody writes to.
func (f *KitchenFeed) deliver(shard int) {
	f.subMu.Lock()
	defer f.subMu.Unlock()
	if len(f.batch) == 0 {
		return
	}
	subs := f.subs[shard]
	for c := range subs {
		if c.after >= f.seq {
			continue // subscribed since, or resumed past it
		}
		c.after = f.seq
		select {
		case c.ch <- f.batch:
		default: // too far behind: drop it rather than wait
			close(c.ch)
			delete(subs, c)
			f.dropped.Inc()
		}
	}
}

// subscribe registers a client. If lastID names a frame of this process
// still in the ring, the frames after it are returned to be sent first and
// resumed is true; otherwise the client starts from now.
func (f *KitchenFeed) subscribe(lastID string) (c *feedClient, replay [][]byte, resumed bool) {
	f.subMu.Lock()
	defer f.subMu.Unlock()
	c = &feedClient{ch: make(chan []byte, f.cfg.ClientBuffer), shard: f.nextSub, after: f.seq}
	f.nextSub = (f.nextSub + 1) % feedShards
	f.subs[c.shard][c] = struct{}{}
	boot, seqText, ok := strings.Cut(lastID, "-")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if !ok || err != nil || boot != f.boot || seq > f.seq {
		return c, nil, false
	}
	if len(f.ring) > 0 && seq+1 < f.ring[0].seq {
		return c, nil, false // fell out of the ring: some frames are gone
	}
	for _, fr := range f.ring {
		if fr.seq > seq {
			replay = append(replay, fr.text)
		}
	}
	return c, replay, true
}

func (f *KitchenFeed) unsubscribe(c *feedClient) {
	f.subMu.Lock()
	defer f.subMu.Unlock()
	if _, ok := f.subs[c.shard][c]; ok {
		delete(f.subs[c.shard], c)
		close(c.ch)
	}
}

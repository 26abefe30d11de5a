// Package pipeline runs the kitchen's handlers over watermill subscribers
// in batches.
//
// Each handler reads one topic under one consumer group. A worker takes
// every message already delivered (up to MaxBatch) and hands them to the
// handler in one call; the handler returns, per message, the messages it
// causes or why it failed. The outputs of the whole batch are published in
// one Publish call (one log transaction, or one produce request per
// partition on Kafka), and only then are the inputs acked. A handler that
// writes to its own store (the views, the completion ledger) likewise
// writes the whole batch in one transaction.
//
// Why not watermill's router: it runs every message in its own goroutine
// through the middleware chain and publishes each message's outputs on
// their own, so a hop costs a goroutine, a publish and a commit wait per
// message. Batching needs the handler to see many messages at once, which
// the router's handler signature cannot express. The transports are still
// watermill Subscribers and Publishers, and the acks still drive their
// positions: a partition's committed position is the end of its longest
// fully-acked prefix, so many batches of one partition are in flight at
// once and a crash redelivers what was not yet acked.
//
// Failures: a message whose handling can never succeed (IsPoison: an
// undecodable event, a broken invariant, a panic) goes to the dead-letter
// topic and is acked; any other failure nacks the message, and the
// transport delivers it again after its nack delay. A failed publish nacks
// every message whose outputs it carried.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pizzeria/pizzeria/internal/deadletter"
	"github.com/pizzeria/pizzeria/internal/faults"
)

// BatchFunc handles messages read from one topic, in the order they were
// delivered. It returns, for each message, the messages it causes and nil,
// or nil and why it failed; both slices have len(msgs) entries.
type BatchFunc func(msgs []*message.Message) (out [][]*message.Message, errs []error)

// Handler is one consumer of the kitchen.
type Handler struct {
	// Name names the handler's spans, logs, metrics and dead letters.
	Name string
	// Group is the consumer group Subscriber reads under.
	Group      string
	Topic      string
	Subscriber message.Subscriber
	Handle     BatchFunc
	// OutTopic receives what Handle returns; empty if it returns nothing.
	OutTopic string
}

// Observer sees each message handled: tracing, logs and metrics.
type Observer interface {
	// Handling is told before msg is handled; the context it returns is
	// given to the messages msg causes (their appends continue its trace).
	Handling(handler, topic string, msg *message.Message) context.Context
	// Handled is told the outcome: err is nil, or why msg failed;
	// deadLettered says that msg went to the dead-letter topic.
	Handled(ctx context.Context, handler, topic string, msg *message.Message, produced int, err error, deadLettered bool)
}

// Config is what every handler of a Runner shares.
type Config struct {
	// Publisher publishes handlers' outputs and dead letters.
	Publisher message.Publisher
	// DeadLetters is the dead-letter topic.
	DeadLetters string
	// IsPoison tells failures that can never succeed from those that may.
	// A panic always is.
	IsPoison func(error) bool
	// Writes, if set, is waited on before each batch while writes fail,
	// and is told the outcome of batches that only wrote to the handler's
	// own store (a publish tells it itself).
	Writes *faults.Gate
	// Observer, if set, sees each message.
	Observer Observer
	// Logger, if set, is told which handlers run.
	Logger *slog.Logger
	// Registerer, if set, gets the batch duration histogram.
	Registerer prometheus.Registerer
	// MaxBatch bounds the messages of one batch (default 256); Workers is
	// the number of batches of one handler in flight at once (default 4).
	MaxBatch, Workers int
	// MaxPublish bounds the messages of one Publish call (default 1,024):
	// a batch of large orders fans out into more, published in turn.
	MaxPublish int
	// CloseTimeout bounds how long Close waits for batches in flight.
	CloseTimeout time.Duration
}

// Runner runs handlers until closed.
type Runner struct {
	cfg      Config
	handlers []Handler
	took     *prometheus.HistogramVec

	running chan struct{}
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when Run returns
	started atomic.Bool
	closing sync.Once
}

// New returns a runner with no handlers.
func New(cfg Config) (*Runner, error) {
	if cfg.Publisher == nil || cfg.DeadLetters == "" || cfg.IsPoison == nil {
		return nil, errors.New("pipeline: Publisher, DeadLetters and IsPoison are required")
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.MaxPublish <= 0 {
		cfg.MaxPublish = 1024
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = 30 * time.Second
	}
	r := &Runner{cfg: cfg, running: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	r.took = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pizzeria_handler_execution_time_seconds",
		Help:    "Time to handle one batch of messages, by handler and whether every message of it succeeded.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"handler_name", "success"})
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(r.took); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Add registers h; handlers are added before Run.
func (r *Runner) Add(h Handler) { r.handlers = append(r.handlers, h) }

// Running is closed once every handler has subscribed.
func (r *Runner) Running() <-chan struct{} { return r.running }

// Run subscribes every handler and handles messages until ctx ends or
// Close is called; then it waits for the batches in flight (up to
// CloseTimeout) and closes the subscribers.
func (r *Runner) Run(ctx context.Context) error {
	if !r.started.CompareAndSwap(false, true) {
		return errors.New("pipeline: Run called twice")
	}
	defer close(r.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	for _, h := range r.handlers {
		ch, err := h.Subscriber.Subscribe(ctx, h.Topic)
		if err != nil {
			cancel()
			wg.Wait()
			return errors.Join(fmt.Errorf("%s: subscribing to %s: %w", h.Name, h.Topic, err), r.closeSubscribers())
		}
		var take sync.Mutex
		for range r.cfg.Workers {
			wg.Go(func() { r.work(ctx, h, ch, &take) })
		}
		if r.cfg.Logger != nil {
			r.cfg.Logger.Info("handling messages", "handler_name", h.Name, "topic", h.Topic, "group", h.Group, "out", h.OutTopic)
		}
	}
	close(r.running)
	<-ctx.Done()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	var err error
	select {
	case <-finished:
	case <-time.After(r.cfg.CloseTimeout):
		err = fmt.Errorf("pipeline: batches still in flight after %v", r.cfg.CloseTimeout)
	}
	return errors.Join(err, r.closeSubscribers())
}

// Close stops Run and waits for it.
func (r *Runner) Close() error {
	r.closing.Do(func() { close(r.stop) })
	if !r.started.Load() {
		return nil
	}
	select {
	case <-r.done:
		return nil
	case <-time.After(r.cfg.CloseTimeout + time.Second):
		return fmt.Errorf("pipeline: still running %v after Close", r.cfg.CloseTimeout+time.Second)
	}
}

func (r *Runner) closeSubscribers() error {
	var errs []error
	for _, h := range r.handlers {
		errs = append(errs, h.Subscriber.Close())
	}
	return errors.Join(errs...)
}

// work handles batches of ch until ctx ends or ch closes. The workers of
// a handler take batches in turn, holding take: a channel hands a message
// straight to a receiver already waiting, so idle workers all waiting on
// it would split a burst into batches of one each.
func (r *Runner) work(ctx context.Context, h Handler, ch <-chan *message.Message, take *sync.Mutex) {
	batch := make([]*message.Message, 0, r.cfg.MaxBatch)
	for {
		take.Lock()
		batch, ok := r.next(ctx, ch, batch[:0])
		take.Unlock()
		if !ok {
			return
		}
		r.handle(h, batch)
	}
}

// next waits for a message of ch, then appends every message already
// delivered, up to MaxBatch. It reports false once ctx ends or ch closes.
func (r *Runner) next(ctx context.Context, ch <-chan *message.Message, batch []*message.Message) ([]*message.Message, bool) {
	select {
	case m, ok := <-ch:
		if !ok {
			return batch, false
		}
		batch = append(batch, m)
	case <-ctx.Done():
		return batch, false
	}
	for len(batch) < r.cfg.MaxBatch {
		select {
		case m, ok := <-ch:
			if !ok {
				return batch, true
			}
			batch = append(batch, m)
		default:
			return batch, true
		}
	}
	return batch, true
}

// verdicts of one message.
const (
	ack = iota
	nack
	letter
)

// handle runs one batch: handle, publish the outputs and the dead
// letters, then settle every message.
func (r *Runner) handle(h Handler, batch []*message.Message) {
	// A message whose context ended was handed out as its subscription
	// stopped: it will be delivered again, so it is not handled now.
	batch = slices.DeleteFunc(batch, func(m *message.Message) bool { return m.Context().Err() != nil })
	if len(batch) == 0 {
		return
	}
	start := time.Now()
	ctxs := make([]context.Context, len(batch))
	for i, m := range batch {
		ctxs[i] = m.Context()
		if r.cfg.Observer != nil {
			ctxs[i] = r.cfg.Observer.Handling(h.Name, h.Topic, m)
		}
	}
	var ticket *faults.Ticket
	if r.cfg.Writes != nil {
		t, err := r.cfg.Writes.Wait()
		if err != nil { // the gate closed: we are stopping
			r.settle(h, batch, ctxs, nil, uniform(len(batch), err), start)
			return
		}
		ticket = t
	}
	outs, errs := r.call(h, batch)
	published := 0
	var fault error
	for i, err := range errs {
		switch {
		case err == nil:
			for _, o := range outs[i] {
				o.SetContext(ctxs[i])
			}
			published += len(outs[i])
		case !r.poison(err):
			fault = err
		}
	}
	if ticket != nil { // before publishing: the publisher takes its own
		switch {
		case fault != nil:
			ticket.Done(fault)
		case published == 0:
			ticket.Done(nil)
		}
		ticket.Release()
	}
	if published > 0 {
		r.publish(h, outs, errs)
	}
	r.settle(h, batch, ctxs, outs, errs, start)
}

// publish publishes the outputs of the messages that succeeded, in order,
// at most MaxPublish per call. If a call fails, every message with an
// output in it or after it fails with that error (nothing after it is
// tried), so that it is delivered again.
func (r *Runner) publish(h Handler, outs [][]*message.Message, errs []error) {
	var chunk []*message.Message
	from := 0 // first message with an output in chunk
	flush := func(upto int) error {
		if len(chunk) == 0 {
			return nil
		}
		err := r.cfg.Publisher.Publish(h.OutTopic, chunk...)
		chunk = chunk[:0]
		if err != nil {
			err = fmt.Errorf("publishing to %s: %w", h.OutTopic, err)
			for i := from; i < len(errs); i++ {
				if errs[i] == nil && len(outs[i]) > 0 {
					errs[i] = err
				}
			}
		}
		from = upto
		return err
	}
	for i := range outs {
		if errs[i] != nil {
			continue
		}
		for _, o := range outs[i] {
			if len(chunk) == r.cfg.MaxPublish {
				if flush(i) != nil {
					return
				}
			}
			chunk = append(chunk, o)
		}
	}
	flush(len(outs))
}

// settle dead-letters the poisoned messages, then acks or nacks each one
// and tells the observer.
func (r *Runner) settle(h Handler, batch []*message.Message, ctxs []context.Context, outs [][]*message.Message, errs []error, start time.Time) {
	verdict := make([]int, len(batch))
	var letters []*message.Message
	var poisoned []int
	for i, err := range errs {
		switch {
		case err == nil:
		case r.poison(err):
			verdict[i] = letter
			letters = append(letters, deadletter.Poisoned(batch[i], h.Topic, h.Name, h.Group, err.Error(), time.Now()))
			poisoned = append(poisoned, i)
		default:
			verdict[i] = nack
		}
	}
	if len(letters) > 0 {
		if err := r.cfg.Publisher.Publish(r.cfg.DeadLetters, letters...); err != nil {
			for _, i := range poisoned {
				verdict[i] = nack
				errs[i] = fmt.Errorf("%w (and sending it to the dead-letter topic failed: %v)", errs[i], err)
			}
		}
	}
	ok := true
	for i, m := range batch {
		produced := 0
		if outs != nil && errs[i] == nil {
			produced = len(outs[i])
		}
		if r.cfg.Observer != nil {
			r.cfg.Observer.Handled(ctxs[i], h.Name, h.Topic, m, produced, errs[i], verdict[i] == letter)
		}
		if verdict[i] == nack {
			ok = false
			m.Nack()
		} else {
			m.Ack()
		}
	}
	r.took.WithLabelValues(h.Name, fmt.Sprint(ok)).Observe(time.Since(start).Seconds())
}

func (r *Runner) poison(err error) bool {
	var panicked middleware.RecoveredPanicError
	return errors.As(err, &panicked) || r.cfg.IsPoison(err)
}

// call runs the handler on batch. A panic fails the batch's messages one
// by one, so that only those that panic alone are poison.
func (r *Runner) call(h Handler, batch []*message.Message) ([][]*message.Message, []error) {
	outs, errs, p := safeCall(h.Handle, batch)
	if p == nil {
		return outs, errs
	}
	if len(batch) == 1 {
		return [][]*message.Message{nil}, []error{p}
	}
	outs = make([][]*message.Message, len(batch))
	errs = make([]error, len(batch))
	for i := range batch {
		o, e, p := safeCall(h.Handle, batch[i:i+1])
		if p != nil {
			errs[i] = p
			continue
		}
		outs[i], errs[i] = o[0], e[0]
	}
	return outs, errs
}

// safeCall calls handle, turning a panic into watermill's recovered-panic
// error (the same one its router's recoverer gives).
func safeCall(handle BatchFunc, batch []*message.Message) (outs [][]*message.Message, errs []error, panicked error) {
	defer func() {
		if v := recover(); v != nil {
			panicked = middleware.RecoveredPanicError{V: v, Stacktrace: string(debug.Stack())}
		}
	}()
	outs, errs = handle(batch)
	if len(outs) != len(batch) || len(errs) != len(batch) {
		panic(fmt.Sprintf("pipeline: handler returned %d outputs and %d errors for %d messages", len(outs), len(errs), len(batch)))
	}
	return outs, errs, nil
}

func uniform(n int, err error) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

package command

import (
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// StageWorker is one kitchen stage: it reacts to the previous stage's event
// with its own. All four stages are this one mechanism, each with its own
// chooser. It keeps no state, so any number of workers may share a consumer
// group; a redelivered input yields the same output event id and topping.
type StageWorker struct {
	stage  events.Stage
	choose Chooser
	codec  *events.Codec
	now    func() time.Time
}

// NewStageWorker returns the worker for a worker stage (sauce..veggies).
func NewStageWorker(s events.Stage, codec *events.Codec) *StageWorker {
	return &StageWorker{stage: s, choose: ChooserFor(s), codec: codec, now: time.Now}
}

// InputTopic is the topic the worker consumes.
func (w *StageWorker) InputTopic() string { return w.codec.Topics().ForStage(w.stage.Previous()) }

// OutputTopic is the topic the worker produces to.
func (w *StageWorker) OutputTopic() string { return w.codec.Topics().ForStage(w.stage) }

// Handle is a watermill handler: one pizza in, the same pizza with this
// stage's topping out. Undecodable input returns an error wrapping
// events.ErrInvalidEvent, for the dead-letter topic.
func (w *StageWorker) Handle(msg *message.Message) ([]*message.Message, error) {
	in, err := w.codec.Decode(w.InputTopic(), msg)
	if err != nil {
		return nil, err
	}
	p := in.Body.(*events.PizzaEvent).Pizza
	topping := w.choose(p.PizzaID)
	switch w.stage {
	case events.StageSauce:
		p.Sauce = topping
	case events.StageCheese:
		p.Cheese = topping
	case events.StageMeats:
		p.Meats = topping
	case events.StageVeggies:
		p.Veggies = topping
	}
	out := events.Event{
		ID:            events.PizzaEventID(w.stage, p.PizzaID),
		OccurredAt:    w.now().UTC(),
		CorrelationID: in.CorrelationID,
		CausationID:   in.ID,
		OrderCount:    in.OrderCount,
		Body:          &events.PizzaEvent{Stage: w.stage, Pizza: p},
	}
	m, err := w.codec.Encode(out)
	if err != nil {
		return nil, fmt.Errorf("%s stage: %w", w.stage, err)
	}
	return []*message.Message{m}, nil
}

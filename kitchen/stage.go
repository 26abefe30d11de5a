package kitchen

import (
	"time"

	"github.com/pizzeria/pizzeria/events"
)

// Stage is one kitchen stage: it reacts to the previous stage's event with
// its own. All four stages are this one reactor, each with its own chooser.
// It keeps no state, so any number of workers may share a consumer group; a
// redelivered input yields the same output event id and topping.
type Stage struct {
	stage  events.Stage
	choose Chooser
	now    func() time.Time // when the stage ran: its event's occurred_at
}

// NewStage returns the reactor of a worker stage (sauce..veggies).
func NewStage(s events.Stage) *Stage {
	return &Stage{stage: s, choose: ChooserFor(s), now: time.Now}
}

// Input is the previous stage's topic; Output this stage's.
func (w *Stage) Input(t events.Topics) string  { return t.ForStage(w.stage.Previous()) }
func (w *Stage) Output(t events.Topics) string { return t.ForStage(w.stage) }

// React takes one pizza in and returns the same pizza with this stage's
// topping.
func (w *Stage) React(in events.Event) ([]events.Event, error) {
	p := in.Body.(*events.PizzaEvent).Pizza
	*w.stage.Topping(&p) = w.choose(p.PizzaID)
	return []events.Event{{
		ID:            events.PizzaEventID(w.stage, p.PizzaID),
		OccurredAt:    w.now().UTC(),
		CorrelationID: in.CorrelationID,
		CausationID:   in.ID,
		OrderCount:    in.OrderCount,
		Body:          &events.PizzaEvent{Stage: w.stage, Pizza: p},
	}}, nil
}

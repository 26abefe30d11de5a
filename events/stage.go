package events

import "fmt"

// Stage is how far a pizza has come. Each stage's event carries the pizza's
// whole state so far, so a later stage's event supersedes an earlier one.
type Stage int

const (
	StageOrdered Stage = iota // PizzaOrdered: no toppings yet
	StageSauce                // SauceAdded
	StageCheese               // CheeseAdded
	StageMeats                // MeatsAdded
	StageVeggies              // VeggiesAdded: the pizza is done
)

// WorkerStages are the stages a worker performs, in kitchen order.
var WorkerStages = [...]Stage{StageSauce, StageCheese, StageMeats, StageVeggies}

// stageInfo is everything there is to know about a stage, in one place:
// every other mapping (type, topic, label, topping) is read from stages.
type stageInfo struct {
	name    string              // as on the command line: "sauce"
	label   string              // as the order view shows a pizza at this stage
	typ     Type                // the event that records the stage
	topic   func(Topics) string // the topic that event travels on
	topping func(*Pizza) *string
}

var stages = [...]stageInfo{
	StageOrdered: {"ordered", "ordered", TypePizzaOrdered, func(t Topics) string { return t.Pizza }, nil},
	StageSauce:   {"sauce", "sauce", TypeSauceAdded, func(t Topics) string { return t.Sauce }, func(p *Pizza) *string { return &p.Sauce }},
	StageCheese:  {"cheese", "cheese", TypeCheeseAdded, func(t Topics) string { return t.Cheese }, func(p *Pizza) *string { return &p.Cheese }},
	StageMeats:   {"meats", "meats", TypeMeatsAdded, func(t Topics) string { return t.Meats }, func(p *Pizza) *string { return &p.Meats }},
	StageVeggies: {"veggies", "done", TypeVeggiesAdded, func(t Topics) string { return t.Veggies }, func(p *Pizza) *string { return &p.Veggies }},
}

func (s Stage) valid() bool { return s >= StageOrdered && s <= StageVeggies }

// String returns the stage's name as used on the command line ("sauce").
func (s Stage) String() string {
	if !s.valid() {
		return fmt.Sprintf("Stage(%d)", int(s))
	}
	return stages[s].name
}

// Label is how the order view names a pizza at this stage: a pizza past
// its last stage is "done".
func (s Stage) Label() string {
	if !s.valid() {
		return s.String()
	}
	return stages[s].label
}

// Topping returns the field of p that stage s sets, or nil for
// StageOrdered, which sets none.
func (s Stage) Topping(p *Pizza) *string {
	if !s.valid() || stages[s].topping == nil {
		return nil
	}
	return stages[s].topping(p)
}

// ParseStage turns a worker stage name ("sauce", "cheese", "meats",
// "veggies") into a Stage.
func ParseStage(name string) (Stage, error) {
	for _, s := range WorkerStages {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown stage %q: want one of sauce, cheese, meats, veggies", name)
}

// EventType is the type of the event that records the stage.
func (s Stage) EventType() Type {
	if !s.valid() {
		return ""
	}
	return stages[s].typ
}

// Previous is the stage whose event a worker of stage s reacts to.
func (s Stage) Previous() Stage { return s - 1 }

// stageOfType maps a pizza event type back to its stage.
func stageOfType(t Type) (Stage, bool) {
	for s, info := range stages {
		if info.typ == t {
			return Stage(s), true
		}
	}
	return 0, false
}

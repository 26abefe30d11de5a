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

var stageNames = [...]string{"ordered", "sauce", "cheese", "meats", "veggies"}

// String returns the stage's name as used on the command line ("sauce").
func (s Stage) String() string {
	if s < StageOrdered || s > StageVeggies {
		return fmt.Sprintf("Stage(%d)", int(s))
	}
	return stageNames[s]
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
	switch s {
	case StageOrdered:
		return TypePizzaOrdered
	case StageSauce:
		return TypeSauceAdded
	case StageCheese:
		return TypeCheeseAdded
	case StageMeats:
		return TypeMeatsAdded
	case StageVeggies:
		return TypeVeggiesAdded
	}
	return ""
}

// Previous is the stage whose event a worker of stage s reacts to.
func (s Stage) Previous() Stage { return s - 1 }

// stageOfType maps a pizza event type back to its stage.
func stageOfType(t Type) (Stage, bool) {
	for s := StageOrdered; s <= StageVeggies; s++ {
		if s.EventType() == t {
			return s, true
		}
	}
	return 0, false
}

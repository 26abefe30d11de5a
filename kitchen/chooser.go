package kitchen

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/pizzeria/pizzeria/events"
)

// A Chooser picks a stage's topping for a pizza. It is a pure function of
// (pizza id, stage): a redelivered or replayed message gets the same topping,
// so the stage's output event is identical and deduplicates exactly.
type Chooser func(pizzaID string) string

// The original kitchen's menus. Repeated entries are deliberate: they weight
// the uniform draw exactly as the original did.
var (
	sauces  = []string{"regular", "light", "extra", "none", "alfredo", "regular", "light", "extra", "alfredo"}
	cheeses = []string{"extra", "none", "three cheese", "goat cheese", "extra", "three cheese", "goat cheese"}
	meats   = []string{"pepperoni", "sausage", "ham", "anchovies", "salami", "bacon"}
	veggies = []string{"tomato", "olives", "onions", "peppers", "pineapple", "mushrooms"}
)

// ChooserFor returns the chooser of a worker stage.
func ChooserFor(s events.Stage) Chooser {
	switch s {
	case events.StageSauce:
		return pickOne(s, sauces)
	case events.StageCheese:
		return pickOne(s, cheeses)
	case events.StageMeats:
		return pickSome(s, meats)
	case events.StageVeggies:
		return pickSome(s, veggies)
	}
	panic("kitchen: no chooser for stage " + s.String())
}

// rngFor seeds a generator from the pizza and the stage alone.
func rngFor(s events.Stage, pizzaID string) *rand.Rand {
	sum := sha256.Sum256([]byte(s.String() + "\x00" + pizzaID))
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])))
}

func pickOne(s events.Stage, menu []string) Chooser {
	return func(pizzaID string) string {
		return menu[rngFor(s, pizzaID).IntN(len(menu))]
	}
}

// pickSome draws i uniform in 0..4; 0 means "none", otherwise i items are
// drawn with replacement, duplicates dropped, joined by " & ".
func pickSome(s events.Stage, menu []string) Chooser {
	return func(pizzaID string) string {
		r := rngFor(s, pizzaID)
		n := r.IntN(5)
		if n == 0 {
			return "none"
		}
		picked := make([]string, 0, n)
		for range n {
			item := menu[r.IntN(len(menu))]
			if !slices.Contains(picked, item) {
				picked = append(picked, item)
			}
		}
		return strings.Join(picked, " & ")
	}
}

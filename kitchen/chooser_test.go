package kitchen

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pizzeria/pizzeria/events"
)

const samples = 30_000

// chiSquare returns Pearson's statistic for observed counts against expected
// probabilities.
func chiSquare(observed map[string]int, expected map[string]float64, n int) float64 {
	var x2 float64
	for k, p := range expected {
		e := p * float64(n)
		d := float64(observed[k]) - e
		x2 += d * d / e
	}
	return x2
}

// critical values of the chi-square distribution at p = 0.001.
var chi2Critical = map[int]float64{1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52}

func menuProbabilities(menu []string) map[string]float64 {
	p := map[string]float64{}
	for _, m := range menu {
		p[m] += 1 / float64(len(menu))
	}
	return p
}

func TestSingleChoiceStagesMatchTheOriginalDistribution(t *testing.T) {
	for _, tc := range []struct {
		stage events.Stage
		menu  []string
	}{{events.StageSauce, sauces}, {events.StageCheese, cheeses}} {
		t.Run(tc.stage.String(), func(t *testing.T) {
			choose := ChooserFor(tc.stage)
			seen := map[string]int{}
			for k := range samples {
				seen[choose(events.PizzaID("distribution", k))]++
			}
			want := menuProbabilities(tc.menu)
			if len(seen) != len(want) {
				t.Fatalf("values %v, want exactly %v", seen, want)
			}
			if x2, crit := chiSquare(seen, want, samples), chi2Critical[len(want)-1]; x2 > crit {
				t.Fatalf("chi-square %.1f > %.1f: %v", x2, crit, seen)
			}
		})
	}
}

// distinctCountProbabilities is the exact law of how many distinct items the
// original's "draw i in 0..4, then i items with replacement" yields.
func distinctCountProbabilities(menuSize int) map[string]float64 {
	p := map[string]float64{"0": 0.2}
	for i := 1; i <= 4; i++ {
		total := int(math.Pow(float64(menuSize), float64(i)))
		for seq := range total {
			seen := map[int]bool{}
			for s, j := seq, 0; j < i; j, s = j+1, s/menuSize {
				seen[s%menuSize] = true
			}
			p[fmt.Sprint(len(seen))] += 0.2 / float64(total)
		}
	}
	return p
}

func TestMultiChoiceStagesMatchTheOriginalDistribution(t *testing.T) {
	for _, tc := range []struct {
		stage events.Stage
		menu  []string
	}{{events.StageMeats, meats}, {events.StageVeggies, veggies}} {
		t.Run(tc.stage.String(), func(t *testing.T) {
			choose := ChooserFor(tc.stage)
			sizes, items := map[string]int{}, map[string]int{}
			for k := range samples {
				got := choose(events.PizzaID("distribution", k))
				if got == "none" {
					sizes["0"]++
					continue
				}
				parts := strings.Split(got, " & ")
				sizes[fmt.Sprint(len(parts))]++
				for _, p := range parts {
					if !slices.Contains(tc.menu, p) {
						t.Fatalf("%q is not on the menu", p)
					}
					items[p]++
				}
			}
			want := distinctCountProbabilities(len(tc.menu))
			if x2, crit := chiSquare(sizes, want, samples), chi2Critical[len(want)-1]; x2 > crit {
				t.Fatalf("distinct-count chi-square %.1f > %.1f: %v vs %v", x2, crit, sizes, want)
			}
			n := 0
			for _, c := range items {
				n += c
			}
			if x2, crit := chiSquare(items, menuProbabilities(tc.menu), n), chi2Critical[len(tc.menu)-1]; x2 > crit {
				t.Fatalf("items are not equally likely: chi-square %.1f > %.1f: %v", x2, crit, items)
			}
		})
	}
}

func TestChoosersAreDeterministicAndIndependentPerStage(t *testing.T) {
	id := events.PizzaID("order", 3)
	for _, s := range events.WorkerStages {
		if a, b := ChooserFor(s)(id), ChooserFor(s)(id); a != b {
			t.Fatalf("%s chose %q then %q for the same pizza", s, a, b)
		}
	}
	// The same pizza id must not lock sauce and cheese together.
	same := 0
	for k := range 2000 {
		id := events.PizzaID("corr", k)
		si := slices.Index(sauces, ChooserFor(events.StageSauce)(id)) % 2
		ci := slices.Index(cheeses, ChooserFor(events.StageCheese)(id)) % 2
		if si == ci {
			same++
		}
	}
	if same < 850 || same > 1150 {
		t.Fatalf("sauce and cheese choices look correlated: %d/2000 agree on parity", same)
	}
}

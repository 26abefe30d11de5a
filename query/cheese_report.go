package query

import (
	"context"
	"sort"
)

// CheeseReport is the cheese-popularity report: every pizza that has passed
// the cheese stage counted once under the cheese it got ("none" included),
// most popular first.
type CheeseReport struct {
	Total   int
	Cheeses []CheeseCount
}

// CheeseCount is one line of the report; Share is Count/Total.
type CheeseCount struct {
	Cheese string
	Count  int
	Share  float64
}

// CheeseReportHandler builds the report.
type CheeseReportHandler struct{ views Views }

// NewCheeseReportHandler returns a handler over views.
func NewCheeseReportHandler(views Views) *CheeseReportHandler {
	return &CheeseReportHandler{views: views}
}

// Handle returns the report, ties broken by cheese name so it is stable.
func (h *CheeseReportHandler) Handle(ctx context.Context) (CheeseReport, error) {
	counts, err := h.views.CheeseCounts(ctx)
	if err != nil {
		return CheeseReport{}, err
	}
	r := CheeseReport{Cheeses: make([]CheeseCount, 0, len(counts))}
	for cheese, n := range counts {
		r.Total += n
		r.Cheeses = append(r.Cheeses, CheeseCount{Cheese: cheese, Count: n})
	}
	for i := range r.Cheeses {
		r.Cheeses[i].Share = float64(r.Cheeses[i].Count) / float64(r.Total)
	}
	sort.Slice(r.Cheeses, func(i, j int) bool {
		a, b := r.Cheeses[i], r.Cheeses[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Cheese < b.Cheese)
	})
	return r, nil
}

package api

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// keptJobs is how many finished jobs stay readable; older ones are
// forgotten. Jobs live in memory: a restart forgets them.
const keptJobs = 32

// job is one run of long admin work. Safe for concurrent use.
type job struct {
	id, kind string
	started  time.Time

	mu       sync.Mutex
	read     map[string]int // events read per topic so far
	total    int64          // events the log held when the job began; 0 if unknown
	finished time.Time
	result   *rebuildJSON
	failure  *problem
}

// jobs keeps the running job and the last finished ones; one job runs at
// a time. Safe for concurrent use.
type jobs struct {
	mu      sync.Mutex
	byID    map[string]*job
	order   []string // oldest first
	running *job
}

// start begins a job of kind unless one is running, in which case it
// returns that one and false.
func (j *jobs) start(kind string) (*job, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.running != nil {
		return j.running, false
	}
	if j.byID == nil {
		j.byID = make(map[string]*job)
	}
	jb := &job{id: uuid.NewString(), kind: kind, started: time.Now(), read: map[string]int{}}
	j.running = jb
	j.byID[jb.id] = jb
	j.order = append(j.order, jb.id)
	if len(j.order) > keptJobs {
		delete(j.byID, j.order[0])
		j.order = j.order[1:]
	}
	return jb, true
}

func (j *jobs) get(id string) (*job, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.byID[id]
	return jb, ok
}

// finish records the outcome of the running job.
func (j *jobs) finish(jb *job, result *rebuildJSON, failure *problem) {
	jb.mu.Lock()
	jb.finished, jb.result, jb.failure = time.Now(), result, failure
	jb.mu.Unlock()
	j.mu.Lock()
	if j.running == jb {
		j.running = nil
	}
	j.mu.Unlock()
}

// progress is the ReplayProgress that records the job's progress.
func (jb *job) progress(topic string, read int) {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	jb.read[topic] = read
}

func (jb *job) setTotal(n int64) {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	jb.total = n
}

type jobJSON struct {
	ID         string       `json:"id"`
	Kind       string       `json:"kind"`
	State      string       `json:"state"` // running, succeeded or failed
	StartedAt  time.Time    `json:"started_at"`
	FinishedAt *time.Time   `json:"finished_at,omitempty"`
	Progress   progressJSON `json:"progress"`
	Result     *rebuildJSON `json:"result,omitempty"`
	Error      *problem     `json:"error,omitempty"`
}

type progressJSON struct {
	EventsRead    int      `json:"events_read"`
	EventsTotal   *int64   `json:"events_total,omitempty"` // in the log when the job began
	RatePerSecond float64  `json:"rate_per_second"`
	ETASeconds    *float64 `json:"eta_seconds,omitempty"` // while running, when the total is known
}

// view is the job as the API shows it at now.
func (jb *job) view(now time.Time) jobJSON {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	out := jobJSON{ID: jb.id, Kind: jb.kind, State: "running", StartedAt: jb.started.UTC(), Result: jb.result, Error: jb.failure}
	for _, n := range jb.read {
		out.Progress.EventsRead += n
	}
	end := now
	if !jb.finished.IsZero() {
		end = jb.finished
		f := jb.finished.UTC()
		out.FinishedAt = &f
		out.State = "succeeded"
		if jb.failure != nil {
			out.State = "failed"
		}
	}
	if secs := end.Sub(jb.started).Seconds(); secs > 0 {
		out.Progress.RatePerSecond = float64(out.Progress.EventsRead) / secs
	}
	if jb.total > 0 {
		total := jb.total
		out.Progress.EventsTotal = &total
		if jb.finished.IsZero() && out.Progress.RatePerSecond > 0 {
			eta := max(float64(total-int64(out.Progress.EventsRead)), 0) / out.Progress.RatePerSecond
			out.Progress.ETASeconds = &eta
		}
	}
	return out
}

// runReplay rebuilds the views as job jb, under ctx (the server's
// lifetime, not the request's: the client does not wait for it).
func (s *server) runReplay(ctx context.Context, jb *job) {
	if n, err := s.cfg.Admin.LogSize(ctx); err == nil {
		jb.setTotal(n)
	}
	st, err := s.cfg.Admin.Replay(ctx, jb.progress)
	if err != nil {
		p := problemFor(err)
		p.Instance = "/admin/jobs/" + jb.id
		if p.Status >= 500 {
			s.log.Error("replay failed", "job", jb.id, "error", err)
		}
		s.jobs.finish(jb, nil, &p)
		return
	}
	s.jobs.finish(jb, &rebuildJSON{Read: st.Read, Applied: st.Applied, Skipped: st.Skipped,
		Generation: st.Generation, TookSeconds: st.Took.Seconds()}, nil)
}

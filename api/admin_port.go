package api

import (
	"errors"
	"time"
)

// What the operator endpoints exchange with whoever implements Admin (the
// composition root, over the real stores): types of the HTTP layer's own,
// so that it depends on no store or transport.

// ReplayProgress is told, now and then, how many events of a topic a
// replay has read.
type ReplayProgress func(topic string, read int)

// ReplayStats says what a replay did.
type ReplayStats struct {
	Read, Applied, Skipped int // Skipped: undecodable, i.e. dead letters
	Generation             int
	Took                   time.Duration
}

// DeadLetter is one dead message as an operator sees it.
type DeadLetter struct {
	// Position is where the letter sits in the dead-letter topic
	// ("partition/offset").
	Position string `json:"position"`
	// Where the message was read from when it failed.
	SourceTopic     string `json:"source_topic"`
	SourcePartition string `json:"source_partition"`
	SourceOffset    string `json:"source_offset"`
	Handler         string `json:"handler"`
	Reason          string `json:"reason"`
	EventType       string `json:"event_type,omitempty"`
	EventID         string `json:"event_id,omitempty"`
	// Payload is the message value as text, cut for the listing.
	Payload string `json:"payload"`
	Size    int    `json:"size"`
}

var (
	// ErrReplayRunning: only one replay runs at a time.
	ErrReplayRunning = errors.New("a replay is already running")
	// ErrReplayRefused: the log holds less than the views were built from
	// (an empty log, a wrong topic prefix or broker), so the views are left
	// as they were.
	ErrReplayRefused = errors.New("replay refused: the log holds less than the views were built from")
)

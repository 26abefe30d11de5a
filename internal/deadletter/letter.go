// Package deadletter reads and re-drives the dead-letter topic: messages no
// handler could process after bounded retries, with why and where from.
package deadletter

// Letter is one dead message as an operator sees it.
type Letter struct {
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
	// Payload is the message value as text, cut to PayloadPreview bytes.
	Payload string `json:"payload"`
	Size    int    `json:"size"`
}

// PayloadPreview bounds how much of a payload a listing shows.
const PayloadPreview = 512

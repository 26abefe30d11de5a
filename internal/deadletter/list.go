package deadletter

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// Reader reads a topic from its oldest message to its end as of the call.
type Reader interface {
	ReadAll(ctx context.Context, topic string, fn func(*message.Message) error) error
}

var errEnough = errors.New("enough")

// List returns up to limit of the letters not yet re-driven, oldest first:
// those after the first skip messages of the dead-letter topic (the ones the
// redrive group has passed). The topic has one partition, so "after" is well
// defined.
func List(ctx context.Context, r Reader, topic string, skip int64, limit int) ([]Letter, error) {
	out := []Letter{}
	var i int64
	err := r.ReadAll(ctx, topic, func(m *message.Message) error {
		if i++; i <= skip {
			return nil
		}
		if len(out) == limit {
			return errEnough
		}
		out = append(out, letterOf(m))
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return out, nil
}

func letterOf(m *message.Message) Letter {
	md := m.Metadata
	return Letter{
		Position:        md.Get(events.MetaReceivedPartition) + "/" + md.Get(events.MetaReceivedOffset),
		SourceTopic:     md.Get(metaTopic),
		SourcePartition: md.Get(MetaSourcePartition),
		SourceOffset:    md.Get(MetaSourceOffset),
		Handler:         md.Get(metaHandler),
		Reason:          md.Get(metaReason),
		EventType:       md.Get(events.MetaEventType),
		EventID:         md.Get(events.MetaEventID),
		Payload:         preview(m.Payload),
		Size:            len(m.Payload),
	}
}

func preview(p []byte) string {
	if len(p) > PayloadPreview {
		p = p[:PayloadPreview]
	}
	return strings.ToValidUTF8(string(p), string(utf8.RuneError))
}

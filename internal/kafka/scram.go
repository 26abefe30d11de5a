package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// scramClient adapts franz-go's SCRAM implementation (RFC 5802) to the
// SCRAMClient interface sarama drives the exchange through, so no SCRAM
// arithmetic lives here. One value serves one authentication.
type scramClient struct {
	sha512  bool
	session sasl.Session
	first   []byte // client-first-message, sent on the first Step
	started bool
	done    bool
}

func newSCRAMClient(sha512 bool) func() sarama.SCRAMClient {
	return func() sarama.SCRAMClient { return &scramClient{sha512: sha512} }
}

// Begin prepares the client-first-message.
func (s *scramClient) Begin(user, password, authzID string) error {
	auth := scram.Auth{Zid: authzID, User: user, Pass: password}
	mech := auth.AsSha256Mechanism()
	if s.sha512 {
		mech = auth.AsSha512Mechanism()
	}
	session, first, err := mech.Authenticate(context.Background(), "")
	if err != nil {
		return fmt.Errorf("kafka: start %s: %w", mech.Name(), err)
	}
	s.session, s.first = session, first
	return nil
}

// Step answers one server challenge; the first call, with an empty
// challenge, yields the client-first-message.
func (s *scramClient) Step(challenge string) (string, error) {
	if s.session == nil {
		return "", errors.New("kafka: SCRAM step before begin")
	}
	if !s.started {
		s.started = true
		return string(s.first), nil
	}
	done, resp, err := s.session.Challenge([]byte(challenge))
	if err != nil {
		return "", fmt.Errorf("kafka: SCRAM exchange: %w", err)
	}
	s.done = done
	return string(resp), nil
}

// Done reports whether the server's final message has been verified.
func (s *scramClient) Done() bool { return s.done }

package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// integerLiteral is a JSON number without fraction or exponent.
var integerLiteral = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

const orderBodyExample = `{"count": 3}`

// readOrderBody reads a place-order body strictly: application/json, at most
// MaxBodyBytes, exactly one object with exactly one member "count" holding
// a JSON integer, nothing after it. Unknown members are rejected rather than
// ignored: a misspelt field must not quietly place a different order.
func (s *server) readOrderBody(c *gin.Context) (int, error) {
	if err := requireJSON(c.GetHeader("Content-Type")); err != nil {
		return 0, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return 0, &requestError{kind: errTooLarge, detail: "the body exceeds " +
				strconv.FormatInt(s.cfg.MaxBodyBytes, 10) + " bytes; send " + orderBodyExample}
		}
		return 0, badRequest("the body could not be read: send %s", orderBodyExample)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return 0, badRequest("the body is empty; send %s", orderBodyExample)
	}
	raw, err := countMember(body)
	if err != nil {
		return 0, err
	}
	return parseCount(string(raw), "count")
}

// requireJSON accepts application/json with no parameter but a UTF-8 charset.
func requireJSON(contentType string) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err == nil && mt == "application/json" {
		cs, ok := params["charset"]
		if len(params) == 0 || (len(params) == 1 && ok && strings.EqualFold(cs, "utf-8")) {
			return nil
		}
	}
	return &requestError{kind: errUnsupportedMedia,
		detail: "send the body as 'Content-Type: application/json' (UTF-8), e.g. " + orderBodyExample}
}

// countMember walks the body's tokens and returns the raw value of "count".
func countMember(body []byte) (json.RawMessage, error) {
	invalid := func(err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return badRequest("the body ends before its JSON object does; send %s", orderBodyExample)
		}
		return badRequest("the body is not valid JSON (%v); send %s", err, orderBodyExample)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, invalid(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, badRequest("the body must be a JSON object, e.g. %s", orderBodyExample)
	}
	var raw json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid(err)
		}
		name, _ := tok.(string) // object keys are always strings
		switch {
		case name != "count":
			return nil, badRequest("unknown field %q; the only field is \"count\", e.g. %s", clip(name), orderBodyExample)
		case raw != nil:
			return nil, badRequest("\"count\" appears more than once")
		}
		if err := dec.Decode(&raw); err != nil {
			return nil, invalid(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, invalid(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("unexpected data after the JSON object; send exactly %s", orderBodyExample)
	}
	if raw == nil || string(raw) == "null" {
		return nil, badRequest("\"count\" is required: the number of pizzas, e.g. %s", orderBodyExample)
	}
	return raw, nil
}

// parseCount accepts a decimal integer literal; the command decides whether
// it is in range. Integers too large for an int are clamped, so the client
// gets the command's message with the allowed range.
func parseCount(s, what string) (int, error) {
	if !integerLiteral.MatchString(s) {
		return 0, badRequest("%s must be a whole number of pizzas written as digits, like 3 (not %s)", what, clip(s))
	}
	n, err := strconv.Atoi(s)
	if err != nil { // out of range: the syntax was checked above
		if strings.HasPrefix(s, "-") {
			return math.MinInt, nil
		}
		return math.MaxInt, nil
	}
	return n, nil
}

// clip shortens client input echoed in a detail.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

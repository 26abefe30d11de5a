package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestBoardServesEveryPathWithItsType(t *testing.T) {
	want := map[string]string{"/": "text/html", "/board/board.css": "text/css", "/board/board.js": "text/javascript"}
	paths := Handler().Paths()
	if len(paths) != len(want) {
		t.Fatalf("paths %v, want %d", paths, len(want))
	}
	for _, p := range paths {
		resp, body := get(t, p)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), want[p]) || body == "" {
			t.Errorf("%s: %d %q (%d bytes)", p, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: content security policy %q", p, csp)
		}
	}
}

// The board loads nothing from elsewhere: no CDN, no external font.
func TestBoardLoadsNothingFromElsewhere(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import`)
	for _, p := range Handler().Paths() {
		_, body := get(t, p)
		if m := external.FindString(body); m != "" {
			t.Errorf("%s refers outside the binary: %q", p, m)
		}
	}
}

// Every element the script looks up by id is on the page, and every form
// control has a label.
func TestBoardScriptAndPageAgree(t *testing.T) {
	_, html := get(t, "/")
	_, js := get(t, "/board/board.js")
	for _, m := range regexp.MustCompile(`\$\("#([a-z-]+)`).FindAllStringSubmatch(js, -1) {
		if !strings.Contains(html, `id="`+m[1]+`"`) {
			t.Errorf("board.js uses #%s, which index.html lacks", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`<input[^>]*id="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		if !strings.Contains(html, `for="`+m[1]+`"`) {
			t.Errorf("input #%s has no label", m[1])
		}
	}
	if !strings.Contains(html, `<html lang="en">`) {
		t.Error("the page does not say its language")
	}
}
